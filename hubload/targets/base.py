"""The target interface: the one way the core reaches a CRM, whichever API it speaks.

A target kind is a folder beside this module (``open_connectors/``, ``salesforce/``) with a
connection config, a client and a class that satisfies ``Target``. Submission, exactly-once,
outcomes, the tasks and the flows are typed against ``Target`` only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from hubload.jobs import JobRef, JobStatus
from hubload.operations import Operation, OperationKind
from hubload.records import RecordError, RecordSuccess
from schemas.catalog import ObjectSpec


class TargetKind(StrEnum):
    """The APIs hubload loads through."""

    OPEN_CONNECTORS = "open-connectors"
    SALESFORCE = "salesforce"


@dataclass(frozen=True)
class TargetIdentity:
    """Which target a run loaded into: its kind, its instance (a URL with no credentials, query
    or fragment) and its tenant (an Open Connectors hub, a Salesforce org's instance). Opaque to
    the core: compared, recorded in the ledger, and named in locks and cache keys."""

    kind: TargetKind
    instance: str
    tenant: str

    @property
    def key(self) -> str:
        """The identity as one string (what the ledger records)."""
        return f"{self.kind.value} {self.instance} {self.tenant}"

    @classmethod
    def from_key(cls, key: str) -> TargetIdentity | None:
        """The identity a ledger recorded, or None for a key of another form (an older run)."""
        parts = key.split(" ")
        if len(parts) != 3 or parts[0] not in {k.value for k in TargetKind}:
            return None
        return cls(TargetKind(parts[0]), parts[1], parts[2])

    @property
    def short(self) -> str:
        """What people call it in a line: the hub, or the org's host."""
        if self.kind is TargetKind.OPEN_CONNECTORS:
            return self.tenant
        return self.tenant or self.instance

    def __str__(self) -> str:
        if self.kind is TargetKind.OPEN_CONNECTORS:
            return f"{self.kind.value} {self.instance} (hub {self.tenant})"
        return f"{self.kind.value} {self.instance}"


@dataclass(frozen=True)
class Capabilities:
    """What a target can do, for the core's choices and checks before anything is sent."""

    operations: frozenset[OperationKind]
    success_ids: bool
    """Whether the target lists each loaded row with its record id (a success file)."""
    max_upload_bytes: int
    """The largest upload one job takes."""
    serial_uploads: bool = False
    """Whether a load must upload one chunk at a time (so that a lost answer can be settled by
    the target's job listing without mistaking another chunk's job for it)."""


@dataclass(frozen=True)
class Upload:
    """A staged chunk as a target sends it: the exact CSV file, a stable name and its rows."""

    path: Path
    name: str
    rows: int


class Verdict(StrEnum):
    """What the target says of an upload whose answer was lost."""

    JOB = "job"
    """It made a job of it: poll that job."""
    ABSENT = "absent"
    """It holds nothing of it that could load: sending it again loads each row once."""
    UNKNOWN = "unknown"
    """It cannot tell: some other way (a look-up by key, a person) must decide."""


@dataclass(frozen=True)
class Attempt:
    """An upload whose outcome is unknown: what the ledger recorded of it."""

    upload: Upload
    started_at: datetime | None
    """When the attempt began (None when not recorded)."""
    job_id: str | None = None
    """The job the target had created for it before the answer was lost, when it said."""
    known_job_ids: frozenset[str] = field(default_factory=frozenset)
    """Jobs on the same object that belong to other chunks or runs (never this upload's)."""
    quiet_seconds: float = 10.0
    """How long after the attempt began its job may still appear (a request still in flight)."""


@dataclass(frozen=True)
class Settlement:
    """The target's answer about an ``Attempt``."""

    verdict: Verdict
    job: JobRef | None = None
    why: str = ""


class Target(Protocol):
    """A CRM's bulk API as the core uses it. Implementations retry transient failures of every
    call they may safely repeat; every method documents the hubload errors it raises."""

    @property
    def identity(self) -> TargetIdentity:
        """Which target this is (recorded by each run)."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this target can do."""
        ...

    def list_objects(self) -> list[str]:
        """The names of the objects a load can name."""
        ...

    def describe(self, object_name: str) -> ObjectSpec:
        """The object's fields, as the field catalogue.

        Raises:
            NotFoundError: no such object.
            ApiError: the call failed otherwise.
        """
        ...

    def submit(
        self,
        object_name: str,
        upload: Upload,
        operation: Operation,
        *,
        on_created: Callable[[str], None] | None = None,
    ) -> JobRef:
        """Send ``upload`` as one bulk job. ``on_created(job_id)`` is called as soon as the
        target names the job, before the data are sent, where the API works that way.

        Raises:
            RetriableError: a transient failure; ``outcome_unknown`` when the job may exist.
            ApiError: the target refused it.
        """
        ...

    def status(self, job_id: str) -> JobStatus:
        """The job's current status.

        Raises:
            NotFoundError: no such job.
            ApiError: the call failed otherwise.
        """
        ...

    def failed_rows(self, status: JobStatus) -> Iterator[RecordError]:
        """Every row of a terminal job that did not load, with the target's error (rows a job
        never processed carry the code ``UNPROCESSED``).

        Raises:
            ApiError: the rows could not be read.
        """
        ...

    def successful_rows(self, status: JobStatus) -> Iterator[RecordSuccess]:
        """Every row of a terminal job that loaded, with its record id (nothing when
        ``capabilities.success_ids`` is false).

        Raises:
            ApiError: the rows could not be read.
        """
        ...

    def settle(self, object_name: str, attempt: Attempt) -> Settlement:
        """Whether an upload whose answer was lost became a job, by what the target can show
        (the recorded job id, its job listing). Never guesses: ``UNKNOWN`` when it cannot tell.

        Raises:
            ApiError: the target could not be asked.
        """
        ...

    def find_records(self, object_name: str, key: str, values: Sequence[str]) -> Counter[str]:
        """How many records the target holds for each of ``values`` of the field ``key`` (to
        settle an upload that ``settle`` could not, and to see duplicates).

        Raises:
            ConfigError: ``key`` or ``object_name`` is not a plain name.
            ApiError, JobTimeoutError: the look-up failed.
        """
        ...

    def stray_jobs(
        self,
        object_name: str,
        windows: Sequence[tuple[float, float | None]],
        known: frozenset[str],
    ) -> list[str]:
        """Jobs on the object, not ``known``, made within one of the ``windows`` (start, and end
        or None for now; epoch seconds on this machine's clock) that could hold rows of a load
        whose upload answer was lost: those the target lists (Open Connectors, where one
        request makes the job and sends its data); none where a job's id is known before any
        data are sent to it (Salesforce: a job hubload never learnt of never received data).

        Raises:
            ApiError: the jobs could not be listed.
        """
        ...

    def cancel(self, job_id: str) -> None:
        """Stop the job if it still runs.

        Raises:
            ApiError: the call failed.
        """
        ...

    def close(self) -> None:
        """Release the connections."""
        ...
