"""One chunk from staged to accounted for: submitted exactly once, its job polled to the end, its
rows tied to what the target said of them. Whatever breaks, the chunk ends with an outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from hubload import interrupt
from hubload.errors import StopRequestedError
from hubload.exactly_once import ChunkSubmitter, TargetCheck
from hubload.http import RetryPolicy, counting_calls
from hubload.job_results import collect_outcome
from hubload.jobs import JobStatus, PollPolicy, wait_for_job
from hubload.ledger import ChunkState, Ledger
from hubload.operations import Operation
from hubload.outcomes import ChunkOutcome, Stage, step_failed
from hubload.staging import StagedChunk
from hubload.targets.base import Target

log = logging.getLogger("hubload.chunks")
RESULTS_RETRY = RetryPolicy(attempts=6, base_delay=1.0, max_delay=30.0, budget=180.0)


@dataclass(frozen=True)
class ChunkJob:
    """What every chunk of a run shares: where it goes and how it is settled and waited for."""

    run_id: str
    object_name: str
    operation: Operation
    check: TargetCheck
    poll_budget: float


def run_chunk(
    ledger: Ledger,
    target: Target,
    job: ChunkJob,
    chunk: StagedChunk,
    *,
    on_status: Callable[[JobStatus], None] | None = None,
    sleep: Callable[[float], None] = interrupt.sleep,
) -> ChunkOutcome:
    """Submit, wait for and read one chunk's job. Never raises for what the target does: a
    step that fails gives the chunk an outcome that says so (failed, or of unknown fate). The
    outcome counts the requests the chunk cost, status polls apart."""
    polls = 0

    def polled(status: JobStatus) -> None:
        nonlocal polls
        polls += 1
        if on_status is not None:
            on_status(status)

    with counting_calls() as calls:
        outcome = _run(ledger, target, job, chunk, polled, sleep)
    log.info(
        "chunk %d: %d call(s) to the target, %d status poll(s)",
        chunk.number,
        calls() - polls,
        polls,
    )
    return replace(outcome, calls=calls() - polls, polls=polls)


def _run(
    ledger: Ledger,
    target: Target,
    job: ChunkJob,
    chunk: StagedChunk,
    on_status: Callable[[JobStatus], None],
    sleep: Callable[[float], None],
) -> ChunkOutcome:
    stage: Stage = "submit"
    job_id: str | None = None
    try:
        sleep(0)  # a chunk that starts after a stop request is not sent
        submitter = ChunkSubmitter(
            ledger,
            target,
            run_id=job.run_id,
            object_name=job.object_name,
            operation=job.operation,
            check=job.check,
            sleep=sleep,
        )
        submitted = submitter.submit(chunk)
        if isinstance(submitted, ChunkOutcome):
            return submitted
        job_id = submitted.job_id
        stage = "wait"
        status = wait_for_job(
            lambda: target.status(submitted.job_id),
            submitted.job_id,
            PollPolicy(budget=job.poll_budget),
            sleep=sleep,
            on_status=on_status,
        )
        stage = "outcome"
        successes = chunk.path.with_name(chunk.path.stem + ".success.csv")
        # The job has ended: reading its results again is harmless, so a bad day's 5xx on
        # them is waited out here rather than leaving the rows' fate unknown.
        outcome = RESULTS_RETRY.run(
            lambda: collect_outcome(target, chunk, status, successes=successes),
            sleep,
            label=f"chunk {chunk.number}: reading job {status.job_id}'s results: ",
        )
        ledger.mark_chunk(
            job.run_id,
            chunk.number,
            ChunkState.DONE,
            job_status=status.raw_status,
            succeeded=outcome.succeeded,
            failed=outcome.failed,
        )
        return outcome
    except Exception as exc:  # noqa: BLE001 - every chunk ends with an outcome, never a crash
        level = logging.INFO if isinstance(exc, StopRequestedError) else logging.WARNING
        log.log(level, "chunk %d: %s step failed: %s", chunk.number, stage, exc)
        return step_failed(chunk, stage, job_id, exc, resend_is_safe=job.operation.resend_is_safe)
