"""``hubload serve``: every deployment served from one process against the configured API."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.load import load, load_request
from flows.nightly import nightly
from flows.reprocess import reprocess
from flows.resume import resume
from hubload.nightly import NightlyConfig

NIGHTLY_LIMIT = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def build(nightly_config: Path, target_block: str | None) -> list[RunnerDeployment]:
    """The deployments: ``load`` and ``reprocess`` on demand, ``load/request`` for the nightly
    run's files, ``nightly`` on its cron schedule
    (02:00 by default, in the config's time zone), never two nightly runs at once."""
    block: dict[str, Any] = {"target_block": target_block} if target_block else {}
    schedule = NightlyConfig.load(nightly_config).schedule
    # to_deployment is sync-compatible: called from sync code it returns the deployment.
    return [
        cast(
            RunnerDeployment,
            load.to_deployment(
                name="load",
                description="Load one CSV file into a CRM object: fill in the form and run.",
                tags=["hubload"],
                parameters=block,
            ),
        ),
        cast(
            RunnerDeployment,
            load_request.to_deployment(
                name="request",
                description="Load one file of a nightly run (a typed request).",
                tags=["hubload"],
            ),
        ),
        cast(
            RunnerDeployment,
            reprocess.to_deployment(
                name="reprocess",
                description="Load again the rows a run left over (failed, or corrected rejects).",
                tags=["hubload", "reprocess"],
                parameters=block,
            ),
        ),
        cast(
            RunnerDeployment,
            resume.to_deployment(
                name="resume",
                description="Take up a load that crashed, failed or was interrupted.",
                tags=["hubload", "resume"],
            ),
        ),
        cast(
            RunnerDeployment,
            nightly.to_deployment(
                name="nightly",
                description=(
                    "Load the new files of the inbox, each as a run of load/request; "
                    f"on schedule {schedule.cron} ({schedule.timezone})."
                ),
                tags=["hubload", "nightly"],
                schedules=[Cron(schedule.cron, timezone=schedule.timezone)],
                concurrency_limit=NIGHTLY_LIMIT,
                parameters={"config": str(nightly_config.resolve()), **block},
            ),
        ),
    ]


def serve_all(nightly_config: Path, target_block: str | None, *, limit: int | None = None) -> None:
    """Serve until interrupted; schedules stay active when it stops (``pause_on_shutdown``)."""
    serve(*build(nightly_config, target_block), pause_on_shutdown=False, limit=limit)
