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
from prefect.futures import PrefectFuture, wait

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


class JobPool:
    """Chunks taken through their ``load-chunk`` tasks, at most ``concurrency`` at once (one at
    a time for a target whose uploads must not overlap: its tasks still poll side by side).
    Chunks may be added while others run (a pipelined load adds them as they are staged).
    Every chunk ends with an outcome, even when its task crashed."""

    def __init__(self, config: TargetConfig, job: ChunkJob, *, concurrency: int) -> None:
        self.config, self.job, self.concurrency = config, job, concurrency
        self.pending: deque[StagedChunk] = deque()
        self.inflight: dict[PrefectFuture[Any], StagedChunk] = {}
        self.outcomes: dict[int, ChunkOutcome] = {}
        self.known = 0
        self.bar = cast(
            UUID,
            create_progress_artifact(0.0, key="load-progress", description=f"jobs of {job.run_id}"),
        )

    @property
    def busy(self) -> bool:
        """Whether a chunk waits or runs."""
        return bool(self.pending or self.inflight)

    def add(self, chunk: StagedChunk) -> None:
        """Queue a chunk (it starts when a place is free)."""
        self.pending.append(chunk)
        self.known += 1
        self._start()

    def drop_pending(self) -> list[StagedChunk]:
        """Give up the chunks not started (they stay staged in the ledger, for a resume)."""
        dropped = list(self.pending)
        self.pending.clear()
        return dropped

    def step(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` seconds (``None``: until one ends) for running chunks to end;
        record their outcomes and start waiting chunks in their places."""
        self._start()
        if not self.inflight:
            return
        done = wait(list(self.inflight), timeout=timeout).done
        for future in done:
            chunk = self.inflight.pop(future)
            result = future.result(raise_on_failure=False)
            if isinstance(result, ChunkOutcome):
                self.outcomes[chunk.number] = result
            else:  # the task itself crashed: the chunk's fate is unknown
                error = result if isinstance(result, BaseException) else RuntimeError(str(result))
                self.outcomes[chunk.number] = step_failed(
                    chunk, "submit", None, error, resend_is_safe=self.job.operation.resend_is_safe
                )
        if done:
            done_count, known = len(self.outcomes), self.known
            update_progress_artifact(
                self.bar, 100 * done_count / known, description=f"{done_count}/{known} jobs done"
            )
            progress.publish(progress.ProgressEvent("jobs", done_count, known))
        self._start()

    def _start(self) -> None:
        while self.pending and len(self.inflight) < self.concurrency:
            chunk = self.pending.popleft()
            self.inflight[load_chunk.submit(self.config, self.job, chunk)] = chunk


def run_jobs(
    config: TargetConfig,
    job: ChunkJob,
    chunks: list[StagedChunk],
    *,
    concurrency: int,
) -> dict[int, ChunkOutcome]:
    """Take ``chunks`` through their jobs (``JobPool``); every chunk's outcome."""
    pool = JobPool(config, job, concurrency=concurrency)
    for chunk in chunks:
        pool.add(chunk)
    while pool.busy:
        pool.step(None)
    return pool.outcomes


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
