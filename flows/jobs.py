"""Taking staged chunks through their jobs, a bounded number at a time, with the UI's progress;
then healing the rows that failed for a passing reason."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed

from hubload import interrupt, progress
from hubload.chunk_run import ChunkJob
from hubload.healing import HEAL_ROUNDS, Healing, discharge, locking, patients, stage_round
from hubload.ledger import Ledger
from hubload.outcomes import ChunkOutcome, step_failed
from hubload.staging import StagedChunk
from hubload.targets import TargetConfig
from tasks.load import load_chunk

HEAL_BACKOFF = 1.0
"""Seconds before the first healing round; each next round waits four times longer (<= 30 s)."""


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


def heal(
    config: TargetConfig,
    job: ChunkJob,
    ledger: Ledger,
    chunks: list[StagedChunk],
    outcomes: dict[int, ChunkOutcome],
    *,
    chunk_rows: int,
    chunk_dir: Path,
    concurrency: int,
    rounds: int = HEAL_ROUNDS,
    sleep: Callable[[float], None] = interrupt.sleep,
) -> Healing:
    """Send the rows that failed for a passing reason again, round after round (serially when
    record locks were the reason), until none is left or the rounds are spent. ``outcomes`` is
    updated in place: each healed row's outcome is its last chunk's."""
    log = get_run_logger()
    added: list[StagedChunk] = []
    done = 0
    for round_number in range(1, rounds + 1):
        found = patients([*chunks, *added], outcomes)
        if not found:
            break
        serial = locking(found)
        count = sum(len(p.positions) for p in found)
        pause = min(HEAL_BACKOFF * 4 ** (round_number - 1), 30.0)
        log.info(
            "healing round %d: %d row(s) failed for a passing reason; sent again%s in %.0fs",
            round_number,
            count,
            " serially" if serial else "",
            pause,
        )
        sleep(pause)
        staged = stage_round(found, round_number, chunk_rows, chunk_dir)
        ledger.stage_chunks(job.run_id, [(c.number, c.rows, c.sha256) for c in staged])
        heal_job = job
        if serial:
            heal_job = replace(job, operation=replace(job.operation, serial=True))
        new = run_jobs(config, heal_job, staged, concurrency=1 if serial else concurrency)
        for patient in found:
            number = patient.chunk.number
            outcomes[number] = discharge(outcomes[number], patient.chunk, set(patient.positions))
        outcomes.update(new)
        added += staged
        done = round_number
    healed = sum(outcomes[c.number].succeeded for c in added)
    return Healing(healed=healed, rounds=done, chunks=tuple(added))
