"""What happened to each submitted row: the outcome of each chunk, and the tally that must
reconcile (read = succeeded + rejected + failed; the rows skipped before the start row are
apart: the file's rows are skipped + read, which the preparation checks)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hubload.errors import ApiError, JobTimeoutError, ReconciliationError
from hubload.summary import JobSummary

if TYPE_CHECKING:
    from hubload.staging import StagedChunk

# The codes that start the reason of a chunk whose rows have no known fate at the target: some
# or all may have loaded. Such rows are never sent again blindly (resume settles them).
SUBMIT_UNKNOWN = "SUBMIT_UNKNOWN"
JOB_TIMEOUT = "JOB_TIMEOUT"
POLL_FAILED = "POLL_FAILED"
ERRORS_UNREAD = "ERRORS_UNREAD"
ERRORS_UNMATCHED = "ERRORS_UNMATCHED"
NOT_REPORTED = "NOT_REPORTED"
NEEDS_DECISION = "NEEDS_DECISION"
UNKNOWN_FATE = frozenset(
    (
        SUBMIT_UNKNOWN,
        JOB_TIMEOUT,
        POLL_FAILED,
        ERRORS_UNREAD,
        ERRORS_UNMATCHED,
        NOT_REPORTED,
        NEEDS_DECISION,
    )
)


Stage = Literal["submit", "wait", "outcome"]


def fate_unknown(reason: str) -> bool:
    """Whether a failed row's reason says its fate at the target is unknown."""
    return reason.partition(":")[0] in UNKNOWN_FATE


@dataclass(frozen=True)
class FailedRow:
    """A row that did not load: its 1-based position in the chunk (None if unknown) and why
    (the target's error, or a code of ``UNKNOWN_FATE`` when its fate is unknown)."""

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
    successes: Path | None = None
    """The loaded rows' record ids (position, id, created), where the target gives them."""
    moved: tuple[int, ...] = ()
    """Positions sent again in a healing chunk, whose outcome is theirs now."""
    calls: int = 0
    """Requests sent to the target for this chunk, its status polls aside."""
    polls: int = 0

    @property
    def failed(self) -> int:
        """Rows of the chunk that did not load (and were not sent again)."""
        return self.rows if self.all_failed_reason is not None else len(self.failed_rows)

    @property
    def succeeded(self) -> int:
        """Rows of the chunk that loaded with it."""
        return self.rows - self.failed - len(self.moved)

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
            calls=self.calls,
            polls=self.polls,
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


@dataclass
class Tally:
    """The counts of a load, checked to reconcile."""

    read: int
    rejected: int
    staged: int
    outcomes: dict[int, ChunkOutcome] = field(default_factory=dict)
    skipped: int = 0
    """Rows before the start row: never read for the load, so in no other count."""

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
        # A row sent again in a healing chunk counts once: in the chunk that has it last.
        submitted = sum(o.rows - len(o.moved) for o in self.outcomes.values())
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
