"""Bulk jobs as the core sees them, whatever the target: a closed vocabulary of states, the one
typed status read from any of the targets' vocabularies, and waiting for a job to a budget."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hubload.errors import JobTimeoutError, RetriableError

log = logging.getLogger("hubload.jobs")


class JobState(StrEnum):
    """The closed vocabulary of bulk job states (both spellings fold into one member)."""

    CREATED = "CREATED"
    STARTED = "STARTED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    CANCELLED = "CANCELLED"
    CANCELLATION_PENDING = "CANCELLATION_PENDING"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether the job will not change any more."""
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.COMPLETED, JobState.ERROR, JobState.ABORTED, JobState.CANCELLED})

# Other spellings: the seed page's COMPLETE, US CANCELED, and Salesforce Bulk API 2.0's states
# (Open and UploadComplete: nothing processed yet; Failed: the job could not finish).
_ALIASES = {
    "COMPLETE": JobState.COMPLETED,
    "CANCELED": JobState.CANCELLED,
    "CANCELING": JobState.CANCELLATION_PENDING,
    "CANCELLING": JobState.CANCELLATION_PENDING,
    "OPEN": JobState.CREATED,
    "UPLOADCOMPLETE": JobState.CREATED,
    "INPROGRESS": JobState.RUNNING,
    "IN_PROGRESS": JobState.RUNNING,
    "JOBCOMPLETE": JobState.COMPLETED,
    "FAILED": JobState.ERROR,
}


def parse_state(raw: object, *, job_id: str = "?") -> JobState:
    """Fold a raw status value into a ``JobState``; an unknown value is logged, not terminal."""
    text = str(raw or "").strip().upper()
    try:
        return JobState(text)
    except ValueError:
        pass
    alias = _ALIASES.get(text.replace(" ", ""))
    if alias is not None:
        return alias
    log.warning("bulk job %s has an unknown status %r: treating it as not finished", job_id, raw)
    return JobState.UNKNOWN


@dataclass(frozen=True)
class JobStatus:
    """A bulk job's status, whichever vocabulary the target answered in."""

    job_id: str
    state: JobState
    raw_status: str
    records_count: int | None = None
    failed_count: int | None = None
    message: str | None = None
    object_name: str | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended (completed, errored, aborted or cancelled)."""
        return self.state.is_terminal

    @property
    def succeeded(self) -> bool:
        """Whether the job completed; it may still have failed records (see ``failed_count``)."""
        return self.state is JobState.COMPLETED

    @classmethod
    def from_body(cls, body: Mapping[str, Any], *, job_id: str | None = None) -> JobStatus:
        """Read a status body: classic (``status``, ``recordsCount``, ``recordsFailedCount``) or
        v3 (``jobStatus``, ``recordCount``, ``errorCount``, ``statusMessage``)."""
        ident = str(body.get("id") or body.get("jobId") or job_id or "?")
        raw = body.get("status", body.get("jobStatus", body.get("state")))
        return cls(
            job_id=ident,
            state=parse_state(raw, job_id=ident),
            raw_status=str(raw),
            records_count=_first_int(
                body, "recordsCount", "recordCount", "numberRecordsProcessed", "totalRecords"
            ),
            failed_count=_first_int(
                body, "recordsFailedCount", "errorCount", "numberRecordsFailed", "failedRecords"
            ),
            message=_first_str(body, "statusMessage", "errorMessage", "message"),
            object_name=_first_str(body, "objectName", "object"),
        )


def _first_int(body: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


def _first_str(body: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True)
class JobRef:
    """What the target answered when it accepted a job."""

    job_id: str
    state: JobState
    raw_status: str


@dataclass(frozen=True)
class PollPolicy:
    """How long to wait for a job and how often to look: intervals grow by ``factor``."""

    budget: float = 600.0
    initial_interval: float = 0.25
    max_interval: float = 10.0
    factor: float = 1.6

    def __post_init__(self) -> None:
        if self.budget <= 0 or self.initial_interval <= 0 or self.factor < 1:
            raise ValueError("budget and initial_interval must be > 0 and factor >= 1")


def wait_for_job(
    fetch: Callable[[], JobStatus],
    job_id: str,
    policy: PollPolicy = PollPolicy(),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_status: Callable[[JobStatus], None] | None = None,
) -> JobStatus:
    """Call ``fetch`` until the job is terminal and return that status.

    A transient failure of one status read (``RetriableError``) does not end the wait: it is
    retried within the same budget, after the server's ``Retry-After`` when it gave one.

    Raises:
        JobTimeoutError: the budget ran out first (``last_status`` says what was seen last).
        ApiError: a status read failed permanently (auth, not found, ...).
    """
    start = clock()
    interval = policy.initial_interval
    last = "not read yet"
    while True:
        try:
            status = fetch()
        except RetriableError as exc:
            log.warning("status of job %s not read (%s); will poll again", job_id, exc)
            pause = exc.retry_after if exc.retry_after is not None else interval
        else:
            last = status.raw_status
            if on_status is not None:
                on_status(status)
            if status.is_terminal:
                return status
            pause = interval
        waited = clock() - start
        remaining = policy.budget - waited
        if remaining <= 0:
            raise JobTimeoutError(job_id, waited=waited, last_status=last)
        sleep(min(pause, remaining))
        interval = min(interval * policy.factor, policy.max_interval)
