"""Bulk jobs of both faces: their closed vocabularies, stored form and Open Connectors' bodies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

JobKind = Literal["upload", "query"]


class Face(StrEnum):
    """Which API a job was made through: its id, bodies and errors follow that face."""

    OPEN_CONNECTORS = "oc"
    SALESFORCE = "sf"


class Operation(StrEnum):
    """What a job does, in Salesforce's words (Open Connectors uploads insert or upsert)."""

    INSERT = "insert"
    UPSERT = "upsert"
    UPDATE = "update"
    DELETE = "delete"
    HARD_DELETE = "hardDelete"
    QUERY = "query"
    QUERY_ALL = "queryAll"

    @property
    def is_query(self) -> bool:
        """Whether the job reads records rather than writing them."""
        return self in (Operation.QUERY, Operation.QUERY_ALL)

    @property
    def removes(self) -> bool:
        """Whether the job deletes records (its file holds exactly an `Id` column)."""
        return self in (Operation.DELETE, Operation.HARD_DELETE)


class JobStatus(StrEnum):
    """The statuses the sandbox stores (`COMPLETED` may be spelled `COMPLETE` on the wire).

    `OPEN` is a Salesforce ingest job still taking its data; closing it makes it `CREATED`
    (UploadComplete), which the workers take like an Open Connectors upload.
    """

    OPEN = "OPEN"
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"

    def is_terminal(self) -> bool:
        """Whether the job can no longer change."""
        return self in (JobStatus.COMPLETED, JobStatus.ERROR, JobStatus.CANCELLED)


UNFINISHED = (JobStatus.CREATED, JobStatus.RUNNING)


@dataclass(frozen=True)
class Job:
    """One job as stored."""

    id: int
    hub: str
    object_name: str
    kind: JobKind
    status: JobStatus
    created_date: str
    path: str | None = None
    file: str | None = None
    identifier: str | None = None
    serial: bool = False
    query: str | None = None
    callback_url: str | None = None
    records_count: int = 0
    failed_count: int = 0
    status_message: str | None = None
    face: Face = Face.OPEN_CONNECTORS
    operation: Operation = Operation.INSERT
    delimiter: str = ","
    line_ending: str = "LF"
    api_version: str = ""
    created_ms: int = 0
    finished_ms: int | None = None


def now_ms() -> int:
    """The time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def wire_status(status: JobStatus, complete_spelling: str) -> str:
    """The status as the API spells it."""
    return complete_spelling if status is JobStatus.COMPLETED else status.value


def status_body(job: Job, style: str, complete_spelling: str) -> dict[str, Any]:
    """The body of `GET /bulk/{id}/status` in the classic or the v3 style."""
    status = wire_status(job.status, complete_spelling)
    if style == "v3":
        return {
            "id": str(job.id),
            "jobStatus": status,
            "recordCount": job.records_count,
            "errorCount": job.failed_count,
            "objectName": job.object_name,
            "createdDate": job.created_date,
            "statusMessage": job.status_message,
        }
    body: dict[str, Any] = {
        "id": str(job.id),
        "status": status,
        "recordsCount": job.records_count,
        "recordsFailedCount": job.failed_count,
        "objectName": job.object_name,
        "createdDate": job.created_date,
    }
    if job.status_message is not None:
        body["statusMessage"] = job.status_message
    return body


def callback_body(job: Job, complete_spelling: str) -> dict[str, Any]:
    """What a callback URL receives when the job ends."""
    return {
        "id": str(job.id),
        "status": wire_status(job.status, complete_spelling),
        "recordsCount": job.records_count,
        "recordsFailedCount": job.failed_count,
        "objectName": job.object_name,
    }


def salesforce_timestamp(moment: datetime | None = None) -> str:
    """A UTC time the way Salesforce writes date-times: `2024-05-01T12:00:00.000+0000`."""
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def creation_stamps() -> dict[str, Any]:
    """A new job's `created_date` (Salesforce's text form) and `created_ms`, of one moment."""
    moment = datetime.now(UTC)
    return {
        "created_date": salesforce_timestamp(moment),
        "created_ms": int(moment.timestamp() * 1000),
    }
