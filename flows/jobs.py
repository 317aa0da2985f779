"""Taking staged chunks through their jobs, a bounded number at a time, with the UI's progress."""

from __future__ import annotations

from collections import deque
from typing import Any, cast
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed

from hubload import progress
from hubload.chunk_run import ChunkJob
from hubload.outcomes import ChunkOutcome, step_failed
from hubload.staging import StagedChunk
from hubload.targets import TargetConfig
from tasks.load import load_chunk


def run_jobs(
    config: TargetConfig,
    job: ChunkJob,
    chunks: list[StagedChunk],
    *,
    concurrency: int,
) -> dict[int, ChunkOutcome]:
    """Run each chunk's ``load-chunk`` task, at most ``concurrency`` at once (one at a time for
    a target whose uploads must not overlap: its tasks still poll side by side). Every chunk
    ends with an outcome, even when its task crashed."""
    pending = deque(chunks)
    inflight: dict[PrefectFuture[Any], StagedChunk] = {}
    outcomes: dict[int, ChunkOutcome] = {}
    bar = cast(
        UUID,
        create_progress_artifact(0.0, key="load-progress", description=f"jobs of {job.run_id}"),
    )
    while pending or inflight:
        while pending and len(inflight) < concurrency:
            chunk = pending.popleft()
            inflight[load_chunk.submit(config, job, chunk)] = chunk
        for future in [next(as_completed(list(inflight)))]:
            chunk = inflight.pop(future)
            result = future.result(raise_on_failure=False)
            if isinstance(result, ChunkOutcome):
                outcomes[chunk.number] = result
            else:  # the task itself crashed: the chunk's fate is unknown
                error = result if isinstance(result, BaseException) else RuntimeError(str(result))
                outcomes[chunk.number] = step_failed(
                    chunk, "submit", None, error, resend_is_safe=job.operation.resend_is_safe
                )
        update_progress_artifact(
            bar,
            100 * len(outcomes) / len(chunks),
            description=f"{len(outcomes)}/{len(chunks)} jobs done",
        )
        progress.publish(progress.ProgressEvent("jobs", len(outcomes), len(chunks)))
    return outcomes
