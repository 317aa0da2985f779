"""Run-level Prefect plumbing: tags, the per-target lock, and the submission cache key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect import get_client
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.exceptions import ObjectNotFound
from prefect.runtime import flow_run

from hubload.target import Target

LOCK_WAIT_SECONDS = 6 * 3600.0
# The slot's lease is renewed while the run lives; a crashed run frees it within this time.
LOCK_LEASE_SECONDS = 60.0  # the least the server takes


def tag_run(hub: str, object_name: str, parent_run: str | None = None) -> None:
    """Add ``hub:<hub>`` and ``object:<object>`` (and ``parent:<run>`` for a reprocess run) to
    the current flow run's tags."""
    run_id = flow_run.id
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        tags = {*run.tags, "hubload", f"hub:{hub}", f"object:{object_name}"}
        if parent_run:
            tags |= {"reprocess", f"parent:{parent_run}"[:100]}
        client.update_flow_run(run_id, tags=sorted(tags))


def lock_name(target: Target, object_name: str) -> str:
    """The global concurrency limit guarding one target object: one load at a time."""
    host = re.sub(r"[^a-z0-9]+", "-", target.base_url.lower().split("//")[-1]).strip("-")
    return f"hubload-{host}-{target.hub}-{object_name}".lower()[:200]


@contextmanager
def target_lock(target: Target, object_name: str) -> Iterator[str]:
    """Hold the target object's slot while jobs are submitted and polled, so that a nightly
    load and a manual load of the same object never run their jobs at the same time."""
    name = lock_name(target, object_name)
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            client.upsert_global_concurrency_limit_by_name(name, limit=1)
    with concurrency(
        name,
        occupy=1,
        timeout_seconds=LOCK_WAIT_SECONDS,
        lease_duration=LOCK_LEASE_SECONDS,
        strict=True,
    ):
        yield name


def submission_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """A chunk is submitted once per flow run: a retried run (the UI's Retry) finds the job id
    in the persisted result instead of uploading the chunk again."""
    target: Target = parameters["target"]
    chunk = parameters["chunk"]
    op = parameters["operation"]
    return "submit-" + "-".join(
        [
            str(context.task_run.flow_run_id),
            target.hub,
            str(parameters["object_name"]),
            f"{chunk.number:05d}",
            chunk.sha256[:16],
            op.kind,
        ]
    )
