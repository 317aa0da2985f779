"""Write-ahead submission: a chunk is sent at most once unless the target shows it never arrived.

Before an upload the ledger marks the chunk ``submitting`` (with the time, and the job id as
soon as the target names one); after it, ``submitted`` with the job id. A chunk found
``submitted`` (a retried or resumed run) is polled, never sent again. A chunk found
``submitting`` or ``unknown`` (a crash, or an answer lost on the way) is settled by the target
itself (``Target.settle``: Salesforce by the recorded job, Open Connectors by its job listing).
When the target cannot tell, an upsert or update is sent again (harmless); an insert is sent
again only when a look-up by the user's match key finds none of its rows; all of them found
counts as loaded; otherwise it waits for a person's decision.

A chunk the target refused (``failed``) may be sent again when its run is taken up again, but
not once a reprocess run has taken any of its rows over: those rows are that run's to load.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from hubload.errors import ApiError, HubloadError, SubmissionUnknownError
from hubload.http import RetryPolicy
from hubload.jobs import JobRef, JobState
from hubload.ledger import ChunkState, Ledger
from hubload.operations import Operation
from hubload.outcomes import NEEDS_DECISION, ChunkOutcome, chunk_failed
from hubload.staging import StagedChunk
from hubload.submission import submit_chunk, upload_of
from hubload.targets.base import Attempt, Settlement, Target, Verdict

log = logging.getLogger("hubload.exactly_once")

FOUND_AT_TARGET = "FOUND_AT_TARGET"
TAKEN_OVER = "TAKEN_OVER"
_UPLOAD_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()
SETTLE_RETRY = RetryPolicy(attempts=6, base_delay=1.0, max_delay=30.0, budget=120.0)
KeyVerdict = Literal["all", "none", "some"]


@dataclass(frozen=True)
class TargetCheck:
    """How an unknown upload is settled when the target cannot tell: the key to look rows up
    by, and how long a job the target may have received can take to appear."""

    match_key: str | None = None
    settle_seconds: float = 10.0


def rows_at_target(
    target: Target, object_name: str, chunk: StagedChunk, key: str
) -> tuple[KeyVerdict, int]:
    """How many of the chunk's rows the target holds, found by the field ``key``.

    A row without a key value cannot be found, so it makes the verdict ``some`` at best.

    Raises:
        ConfigError: the key or object name is not a plain name.
        ApiError, JobTimeoutError: the look-up failed.
    """
    with chunk.path.open(encoding="utf-8", newline="") as stream:
        values = [row.get(key) or "" for row in csv.DictReader(stream)]
    found = target.find_records(object_name, key, values)
    present = sum(1 for v in values if v and found[v] > 0)
    if present == len(values) and values:
        return "all", present
    if present == 0 and all(values):
        return "none", 0
    return "some", present


class ChunkSubmitter:
    """Submits a run's chunks exactly once, keeping the ledger ahead of the target."""

    def __init__(
        self,
        ledger: Ledger,
        target: Target,
        *,
        run_id: str,
        object_name: str,
        operation: Operation,
        check: TargetCheck,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.target = target
        self.run_id = run_id
        self.object_name = object_name
        self.operation = operation
        self.check = check
        self.retry = retry
        self.sleep = sleep

    def submit(self, chunk: StagedChunk) -> JobRef | ChunkOutcome:
        """The chunk's job (new, or the one recorded), or its outcome when it was settled
        without a job (found at the target, or left for a decision).

        Raises:
            ApiError: the target refused the upload, or it still failed after its retries (the
                chunk is marked ``failed``: its rows may be sent again later).
            SubmissionUnknownError: something else broke after the chunk was marked
                ``submitting`` (its fate is unknown; resume settles it).
        """
        with self._one_upload_at_a_time():
            return self._submit(chunk)

    @contextlib.contextmanager
    def _one_upload_at_a_time(self) -> Iterator[None]:
        """For a target that settles lost answers by its job listing: no other upload of the
        object from this process runs between an upload and its settlement (other loads of it
        are kept out by the per-object slot), so the job that appears is this upload's."""
        if not self.target.capabilities.serial_uploads:
            yield
            return
        key = f"{self.target.identity.key} {self.object_name}"
        with _LOCKS_LOCK:
            lock = _UPLOAD_LOCKS.setdefault(key, threading.Lock())
        with lock:
            yield

    def _submit(self, chunk: StagedChunk) -> JobRef | ChunkOutcome:
        known = self._from_the_record(chunk)
        return known if known is not None else self._send(chunk)

    def _from_the_record(self, chunk: StagedChunk) -> JobRef | ChunkOutcome | None:
        """What the ledger (and, for an unknown attempt, the target) already settles about the
        chunk; None when it is to be sent."""
        record = self.ledger.chunk(self.run_id, chunk.number)
        if record is None:
            return None
        state = record.state
        if state in {ChunkState.SUBMITTED, ChunkState.DONE} and record.job_id:
            log.info("chunk %d: already job %s, not sent again", chunk.number, record.job_id)
            return JobRef(job_id=record.job_id, state=JobState.UNKNOWN, raw_status="RECORDED")
        if state is ChunkState.FOUND:
            return ChunkOutcome(
                chunk=chunk.number, rows=chunk.rows, job_id=None, status=FOUND_AT_TARGET
            )
        if state in {ChunkState.SUBMITTING, ChunkState.UNKNOWN}:
            return self._settle(chunk, f"a previous attempt left chunk {chunk.number} {state}")
        return self._taken_over(chunk)

    def _send(self, chunk: StagedChunk) -> JobRef | ChunkOutcome:
        for _ in range(3):
            self.ledger.mark_chunk(self.run_id, chunk.number, ChunkState.SUBMITTING, job_id=None)
            try:
                job = self._upload(chunk)
            except SubmissionUnknownError as exc:
                self.ledger.mark_chunk(self.run_id, chunk.number, ChunkState.UNKNOWN, note=str(exc))
                settled = self._settle(chunk, str(exc))
                if settled is not None:
                    return settled
                continue
            self.ledger.mark_chunk(
                self.run_id, chunk.number, ChunkState.SUBMITTED, job_id=job.job_id
            )
            return job
        return self._undecided(chunk, "the upload's answer was lost three times")

    def _upload(self, chunk: StagedChunk) -> JobRef:
        try:
            return submit_chunk(
                self.target,
                self.object_name,
                chunk,
                run_id=self.run_id,
                operation=self.operation,
                policy=self.retry,
                sleep=self.sleep,
                on_created=lambda job_id: self.ledger.record_job(self.run_id, chunk.number, job_id),
            )
        except ApiError as exc:
            # Refused, or still failing after the retries. A lost answer raised
            # SubmissionUnknownError instead where it matters: nothing is unknown here.
            self.ledger.mark_chunk(self.run_id, chunk.number, ChunkState.FAILED, note=str(exc))
            raise

    def _taken_over(self, chunk: StagedChunk) -> ChunkOutcome | None:
        """A chunk sent before (and refused) whose rows a reprocess run has since taken over
        (claimed, perhaps loaded): not sent again, so that no row loads twice."""
        taken = self.ledger.taken_lines(self.run_id)
        if not taken:
            return None
        lineage = self.ledger.lineage(self.run_id)  # a reprocess run's rows: original lines
        with chunk.sidecar.open(encoding="utf-8", newline="") as stream:
            lines = {lineage.get(int(row[0]), int(row[0])) for row in csv.reader(stream) if row}
        mine = sorted(lines & taken)
        if not mine:
            return None
        why = (
            f"{TAKEN_OVER}: {len(mine)} of the chunk's rows (lines {', '.join(map(str, mine[:5]))}"
            f"{', ...' if len(mine) > 5 else ''}) were taken over by a reprocess run, which loads "
            "them; the chunk is not sent again"
        )
        self.ledger.mark_chunk(self.run_id, chunk.number, ChunkState.FAILED, note=why)
        return chunk_failed(chunk, why, job_id=None, status="NOT_SUBMITTED")

    def _ask_target(self, chunk: StagedChunk) -> Settlement:
        record = self.ledger.chunk(self.run_id, chunk.number)
        job_id = record.job_id if record is not None else None
        known = self.ledger.job_ids(self.target.identity.key, self.object_name)
        attempt = Attempt(
            upload=upload_of(chunk, self.run_id),
            started_at=record.attempt_started_at if record is not None else None,
            job_id=job_id,
            known_job_ids=known - {job_id} if job_id else known,
            quiet_seconds=self.check.settle_seconds,
        )
        try:
            return SETTLE_RETRY.run(
                lambda: self.target.settle(self.object_name, attempt),
                self.sleep,
                label=f"chunk {chunk.number}: settling: ",
            )
        except HubloadError as exc:
            return Settlement(Verdict.UNKNOWN, why=f"the target could not be asked: {exc}")

    def _settle(self, chunk: StagedChunk, why: str) -> JobRef | ChunkOutcome | None:
        """Settle an unknown upload: None means the chunk may (and must) be sent again."""
        settlement = self._ask_target(chunk)
        log.warning("chunk %d: %s; the target says: %s", chunk.number, why, settlement.why)
        if settlement.verdict is Verdict.JOB and settlement.job is not None:
            self.ledger.mark_chunk(
                self.run_id, chunk.number, ChunkState.SUBMITTED, job_id=settlement.job.job_id
            )
            return settlement.job
        if settlement.verdict is Verdict.ABSENT or self.operation.resend_is_safe:
            return None
        return self._by_key(chunk, f"{why}; {settlement.why}")

    def _by_key(self, chunk: StagedChunk, why: str) -> ChunkOutcome | None:
        """The last resort: the rows looked up by the match key (the user's word that it
        identifies records). All found counts as loaded; none found means send again; some
        found waits for a decision."""
        key = self.check.match_key
        if key is None:
            return self._undecided(chunk, f"{why}; give a match key (e.g. --match-key Email)")
        try:
            verdict, present = SETTLE_RETRY.run(
                lambda: rows_at_target(self.target, self.object_name, chunk, key), self.sleep
            )
        except HubloadError as exc:
            return self._undecided(chunk, f"{why}; the target could not be checked: {exc}")
        log.warning(
            "chunk %d: %d of %d rows found at the target by %s",
            chunk.number,
            present,
            chunk.rows,
            key,
        )
        if verdict == "none":
            return None
        if verdict == "all":
            self.ledger.mark_chunk(
                self.run_id,
                chunk.number,
                ChunkState.FOUND,
                succeeded=chunk.rows,
                failed=0,
                note=why,
            )
            return ChunkOutcome(
                chunk=chunk.number, rows=chunk.rows, job_id=None, status=FOUND_AT_TARGET
            )
        found = f"{present} of {chunk.rows} rows found at the target by {key}"
        return self._undecided(chunk, f"{why}; {found}")

    def _undecided(self, chunk: StagedChunk, why: str) -> ChunkOutcome:
        self.ledger.mark_chunk(self.run_id, chunk.number, ChunkState.UNKNOWN, note=why)
        return chunk_failed(
            chunk,
            f"{NEEDS_DECISION}: {why}; not sent again so that no row loads twice",
            job_id=None,
            status="UNKNOWN",
        )
