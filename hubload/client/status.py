"""Bulk job states and the one typed status read from either vocabulary of the API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

log = logging.getLogger("hubload.client")


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

# Other spellings seen in the wild: the seed page's COMPLETE, US CANCELED, and the states of
# Salesforce Bulk API 2.0 for targets that pass them through.
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
