"""Runs of a deployment for a list of inputs, a few in flight at a time, each taken by any
worker of the deployment's pool; waited for to their final states (Prefect's own
``run_deployment``, polled through the API: no queue of our own)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment

from hubload import interrupt

POLL_SECONDS = 2.0


@dataclass(frozen=True)
class Launch:
    """One run to make: its key (what the caller calls it), parameters and name."""

    key: str
    parameters: dict[str, Any]
    name: str | None = None


@dataclass(frozen=True)
class Landed:
    """How one run ended: its final state, or ``None`` when it was not final in time."""

    key: str
    flow_run_id: UUID
    state: State[Any] | None


def run_all(
    deployment: str,
    launches: Sequence[Launch],
    *,
    in_flight: int,
    wait_seconds: float,
    on_landed: Callable[[Landed], None] | None = None,
) -> list[Landed]:
    """Make a run of ``deployment`` for each launch (as a subflow of the current run, so the
    UI shows them under it), at most ``in_flight`` unfinished at once; return each run's end
    in launch order. A run not final ``wait_seconds`` after it was made is given up on (its
    state ``None``); it goes on, and whatever it did is in the ledger."""
    waiting = list(launches)
    running: dict[UUID, tuple[Launch, float]] = {}
    landed: dict[str, Landed] = {}
    with get_client(sync_client=True) as client:
        while waiting or running:
            while waiting and len(running) < in_flight:
                launch = waiting.pop(0)
                made: FlowRun = run_deployment(  # type: ignore[assignment] # sync call
                    deployment,
                    parameters=launch.parameters,
                    flow_run_name=launch.name,
                    timeout=0,
                    as_subflow=True,
                )
                running[made.id] = (launch, time.monotonic())
            interrupt.sleep(POLL_SECONDS)
            for run_id, (launch, since) in list(running.items()):
                state = client.read_flow_run(run_id).state
                final = state is not None and state.is_final()
                if final or time.monotonic() - since > wait_seconds:
                    del running[run_id]
                    end = Landed(launch.key, run_id, state if final else None)
                    landed[launch.key] = end
                    if on_landed is not None:
                        on_landed(end)
    return [landed[launch.key] for launch in launches]
