"""Taking staged chunks through submit, wait and outcome, a bounded number at a time."""

from __future__ import annotations

from collections import deque
from typing import Any, cast
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed

from hubload import progress
from hubload.client import JobRef, JobStatus
from hubload.exactly_once import TargetCheck
from hubload.outcomes import ChunkOutcome, Stage, step_failed
from hubload.staging import StagedChunk
from hubload.submission import Operation
from hubload.target import Target
from tasks import load as steps


def run_jobs(
    target: Target,
    object_name: str,
    chunks: list[StagedChunk],
    run_id: str,
    op: Operation,
    *,
    concurrency: int,
    budget: float,
    check: TargetCheck,
) -> dict[int, ChunkOutcome]:
    """Take each chunk through submit -> wait -> outcome, with at most ``concurrency`` chunks in
    flight. A chunk whose step fails still gets an outcome: all its rows failed, with the error."""
    pending = deque(chunks)
    inflight: dict[PrefectFuture[Any], tuple[Stage, StagedChunk, str | None]] = {}
    outcomes: dict[int, ChunkOutcome] = {}
    bar = cast(
        UUID, create_progress_artifact(0.0, key="load-progress", description=f"jobs of {run_id}")
    )

    while pending or inflight:
        while pending and len(inflight) < concurrency:
            chunk = pending.popleft()
            inflight[steps.submit.submit(target, object_name, chunk, run_id, op, check)] = (
                "submit",
                chunk,
                None,
            )
        done = next(as_completed(list(inflight)))
        stage, chunk, job_id = inflight.pop(done)
        result = done.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            outcomes[chunk.number] = step_failed(
                chunk, stage, job_id, result, resend_is_safe=op.resend_is_safe
            )
        elif isinstance(result, ChunkOutcome):
            outcomes[chunk.number] = result
        elif stage == "submit":
            job = cast(JobRef, result)
            inflight[steps.wait.submit(target, job, budget)] = ("wait", chunk, job.job_id)
            continue
        else:
            status = cast(JobStatus, result)
            inflight[steps.outcome.submit(target, chunk, status, run_id)] = (
                "outcome",
                chunk,
                job_id,
            )
            continue
        update_progress_artifact(
            bar,
            100 * len(outcomes) / len(chunks),
            description=f"{len(outcomes)}/{len(chunks)} jobs done",
        )
        progress.publish(progress.ProgressEvent("jobs", len(outcomes), len(chunks)))
    return outcomes
