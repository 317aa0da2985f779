"""What happened to each submitted row: per-chunk outcomes, the failed-rows report, the summary."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hubload.client import BulkClient, JobStatus, RecordError
from hubload.errors import ApiError, JobTimeoutError, ReconciliationError
from hubload.reports import JobSummary, RowReport
from hubload.staging import StagedChunk

# The codes that start the reason of a chunk whose rows have no known fate at the target: some
# or all may have loaded. Such rows are never sent again blindly (resume settles them).
SUBMIT_UNKNOWN = "SUBMIT_UNKNOWN"
JOB_TIMEOUT = "JOB_TIMEOUT"
POLL_FAILED = "POLL_FAILED"
ERRORS_UNREAD = "ERRORS_UNREAD"
ERRORS_UNMATCHED = "ERRORS_UNMATCHED"
NEEDS_DECISION = "NEEDS_DECISION"
UNKNOWN_FATE = frozenset(
    (SUBMIT_UNKNOWN, JOB_TIMEOUT, POLL_FAILED, ERRORS_UNREAD, ERRORS_UNMATCHED, NEEDS_DECISION)
)


Stage = Literal["submit", "wait", "outcome"]


def fate_unknown(reason: str) -> bool:
    """Whether a failed row's reason says its fate at the target is unknown."""
    return reason.partition(":")[0] in UNKNOWN_FATE


@dataclass(frozen=True)
class FailedRow:
    """A row the target refused: its 1-based position in the chunk (None if unknown)."""

    record_number: int | None
    error: str


@dataclass(frozen=True)
class ChunkOutcome:
    """The end of one chunk: its job, its final status and the rows that failed."""

    chunk: int
    rows: int
    job_id: str | None
    status: str
    failed_rows: tuple[FailedRow, ...] = ()
    all_failed_reason: str | None = None
    """Set when the whole chunk failed (job error, cancelled, not submitted, timed out)."""
    count_mismatch: str | None = None
    """Set when the target's record counts disagree with what was sent."""

    @property
    def failed(self) -> int:
        """Rows of the chunk that did not load."""
        return self.rows if self.all_failed_reason is not None else len(self.failed_rows)

    @property
    def succeeded(self) -> int:
        """Rows of the chunk that loaded."""
        return self.rows - self.failed

    def job_summary(self) -> JobSummary:
        """The summary's line for this job."""
        return JobSummary(
            chunk=self.chunk,
            job_id=self.job_id,
            status=self.status,
            rows=self.rows,
            succeeded=self.succeeded,
            failed=self.failed,
            message=self.all_failed_reason or self.count_mismatch,
        )


def chunk_failed(
    chunk: StagedChunk, reason: str, *, job_id: str | None, status: str
) -> ChunkOutcome:
    """Every row of the chunk failed for one reason (a job error, a lost upload, a timeout)."""
    return ChunkOutcome(
        chunk=chunk.number,
        rows=chunk.rows,
        job_id=job_id,
        status=status,
        all_failed_reason=reason,
    )


def collect_outcome(
    client: BulkClient, chunk: StagedChunk, status: JobStatus, *, page_size: int = 500
) -> ChunkOutcome:
    """The outcome of a chunk whose job reached a terminal status.

    A completed job's per-record errors are read (all pages) and tied to the chunk's rows.
    A job that ended otherwise (``ERROR``, ``ABORTED``, ``CANCELLED``) failed every row.

    Raises:
        ApiError: an error page could not be read.
    """
    if not status.succeeded:
        detail = f": {status.message}" if status.message else ""
        return chunk_failed(
            chunk,
            f"JOB_{status.state.value}: bulk job {status.job_id} ended {status.raw_status}{detail}",
            job_id=status.job_id,
            status=status.raw_status,
        )
    failed = _tie_to_rows(client.iter_errors(status.job_id, page_size=page_size), chunk)
    orphans = [f.error for f in failed if f.record_number is None]
    if orphans:
        # Which rows failed cannot be told: the chunk's rows have no known fate.
        return chunk_failed(
            chunk,
            f"{ERRORS_UNMATCHED}: bulk job {status.job_id} reported {len(orphans)} error(s) that "
            f"match no row of the chunk (e.g. {orphans[0]})",
            job_id=status.job_id,
            status=status.raw_status,
        )
    mismatch = _count_mismatch(status, chunk.rows, len(failed))
    return ChunkOutcome(
        chunk=chunk.number,
        rows=chunk.rows,
        job_id=status.job_id,
        status=status.raw_status,
        failed_rows=tuple(failed),
        count_mismatch=mismatch,
    )


def _tie_to_rows(errors: Iterable[RecordError], chunk: StagedChunk) -> list[FailedRow]:
    by_number: dict[int, list[str]] = {}
    unplaced: list[RecordError] = []
    for error in errors:
        if error.record_number is not None and 1 <= error.record_number <= chunk.rows:
            by_number.setdefault(error.record_number, []).append(error.text)
        else:
            unplaced.append(error)
    if unplaced:
        _place_by_content(unplaced, chunk, by_number)
    rows = [FailedRow(n, " | ".join(texts)) for n, texts in sorted(by_number.items())]
    # Errors that match no row are kept (the caller makes the whole chunk unknown): never dropped.
    rows += [FailedRow(None, e.text) for e in unplaced]
    return rows


def _place_by_content(
    unplaced: list[RecordError], chunk: StagedChunk, by_number: dict[int, list[str]]
) -> None:
    """Tie errors without a usable record number to rows by their field values."""
    with chunk.path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        positions: dict[tuple[str, ...], list[int]] = {}
        for number, row in enumerate(reader, start=1):
            positions.setdefault(tuple(row), []).append(number)
    for error in list(unplaced):
        key = tuple(error.record.get(name, "") for name in header)
        free = [n for n in positions.get(key, []) if n not in by_number]
        if error.record and free:
            by_number[free[0]] = [error.text]
            unplaced.remove(error)


def _count_mismatch(status: JobStatus, sent: int, failed: int) -> str | None:
    problems = []
    if status.records_count is not None and status.records_count != sent:
        problems.append(f"the target counted {status.records_count} records, {sent} were sent")
    if status.failed_count is not None and status.failed_count != failed:
        problems.append(f"the target counted {status.failed_count} failures, {failed} were listed")
    return "; ".join(problems) or None


def write_failed_report(
    path: Path,
    source_header: list[str],
    chunks: list[StagedChunk],
    outcomes: dict[int, ChunkOutcome],
) -> int:
    """Write failed.csv: each failed row's source line, original cells and the target's error.

    Returns the number of rows written.
    """
    with RowReport(path, source_header, "error") as report:
        for chunk in chunks:
            outcome = outcomes.get(chunk.number)
            if outcome is None or outcome.failed == 0:
                continue
            if outcome.all_failed_reason is not None:
                wanted = dict.fromkeys(range(1, chunk.rows + 1), outcome.all_failed_reason)
            else:
                wanted = {f.record_number: f.error for f in outcome.failed_rows if f.record_number}
            with chunk.sidecar.open(encoding="utf-8", newline="") as stream:
                for number, row in enumerate(csv.reader(stream), start=1):
                    if number in wanted:
                        report.add(int(row[0]), row[1:], wanted[number])
        return report.count


@dataclass
class Tally:
    """The counts of a load, checked to reconcile."""

    read: int
    rejected: int
    staged: int
    outcomes: dict[int, ChunkOutcome] = field(default_factory=dict)

    @property
    def succeeded(self) -> int:
        """Rows the target loaded."""
        return sum(o.succeeded for o in self.outcomes.values())

    @property
    def failed(self) -> int:
        """Rows the target refused, or that never loaded because their job failed."""
        return sum(o.failed for o in self.outcomes.values())

    def problems(self, *, dry_run: bool) -> list[str]:
        """Why the counts do not reconcile (none when every row read is accounted for exactly
        once and each job's own counts agree)."""
        if self.read != self.staged + self.rejected:
            return [f"read {self.read} rows but staged {self.staged} and rejected {self.rejected}"]
        if dry_run:
            return []
        submitted = sum(o.rows for o in self.outcomes.values())
        if submitted != self.staged:
            return [f"staged {self.staged} rows but {submitted} have an outcome"]
        total = self.succeeded + self.rejected + self.failed
        if total != self.read:
            return [
                f"read {self.read} rows but succeeded {self.succeeded} + rejected {self.rejected} "
                f"+ failed {self.failed} = {total}"
            ]
        return [
            f"job {o.job_id} (chunk {o.chunk}): {o.count_mismatch}"
            for o in self.outcomes.values()
            if o.count_mismatch
        ]

    def check(self, *, dry_run: bool) -> None:
        """Raise unless every row read is accounted for exactly once.

        Raises:
            ReconciliationError: the counts do not add up, or a job's counts disagree.
        """
        if problems := self.problems(dry_run=dry_run):
            raise ReconciliationError("; ".join(itertools.islice(problems, 5)))


def step_failed(
    chunk: StagedChunk,
    stage: Stage,
    job_id: str | None,
    error: BaseException,
    *,
    resend_is_safe: bool,
) -> ChunkOutcome:
    """The outcome of a chunk whose submit, wait or outcome step raised.

    ``SUBMIT_FAILED`` (its rows may be sent again) when the upload was refused, or when it still
    failed after its retries and sending it again is safe (an upsert); anything else leaves the
    rows' fate unknown, for resume to settle.
    """
    resendable = isinstance(error, ApiError) and (not error.outcome_unknown or resend_is_safe)
    if stage == "submit":
        code = "SUBMIT_FAILED" if resendable else SUBMIT_UNKNOWN
    elif isinstance(error, JobTimeoutError):
        code = JOB_TIMEOUT
    else:
        code = {"wait": POLL_FAILED, "outcome": ERRORS_UNREAD}[stage]
    status = {"submit": "NOT_SUBMITTED", "wait": "UNKNOWN", "outcome": "UNKNOWN"}[stage]
    if isinstance(error, JobTimeoutError):
        status = error.last_status
    return chunk_failed(chunk, f"{code}: {error}", job_id=job_id, status=status)
