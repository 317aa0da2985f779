"""What the ledger holds, as typed records and closed vocabularies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from hubload.errors import ConfigError
from hubload.options import LoadRequest
from hubload.targets.base import TargetIdentity

_BLOCK = 1 << 20
LEGACY = "legacy"
"""The target of a run recorded before runs recorded their target's identity (then: a hub)."""


class RunKind(StrEnum):
    """A load of a file, or a reprocess of another run's left-over rows."""

    LOAD = "load"
    REPROCESS = "reprocess"


class RunStatus(StrEnum):
    """Where a run stands."""

    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """Stopped on request (Ctrl+C, SIGTERM): resume takes it up."""


class ChunkState(StrEnum):
    """A chunk's submission, written ahead of each step.

    staged -> submitting -> submitted -> done; unknown when an upload's answer was lost and the
    target could not tell; failed when the target refused it (its rows may be sent again);
    found when its rows were found at the target instead of sent again."""

    STAGED = "staged"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DONE = "done"
    UNKNOWN = "unknown"
    FAILED = "failed"
    FOUND = "found"


class RowOutcome(StrEnum):
    """What became of a row that did not load."""

    REJECTED = "rejected"
    FAILED = "failed"
    UNKNOWN = "unknown"


def file_sha256(path: Path) -> str:
    """The content hash of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def same_target(recorded: str, identity: TargetIdentity) -> bool:
    """Whether a recorded target is ``identity``; a legacy record names only its hub, and is
    taken as the same target when the hub is the same (the cautious answer)."""
    if recorded == identity.key:
        return True
    kind, _, hub = recorded.partition(" ")
    return kind == LEGACY and hub == identity.tenant


@dataclass(frozen=True)
class RunRecord:
    """One load (or reprocess) as the ledger knows it."""

    run_id: str
    kind: RunKind
    file: str
    file_sha256: str
    target: str
    """The identity key of the target it loaded into (``TargetIdentity.key``)."""
    object: str
    operation: str
    external_id: str | None
    mapping: str | None
    options: dict[str, Any]
    """The ``LoadRequest`` it ran with, and who ran it (``host``, ``pid``)."""
    run_dir: str
    status: RunStatus = RunStatus.RUNNING
    parent_run_id: str | None = None
    flow_run_id: str | None = None
    read: int | None = None
    succeeded: int | None = None
    rejected: int | None = None
    failed: int | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def identity(self) -> TargetIdentity | None:
        """The target it loaded into (None for a run recorded before identities)."""
        return TargetIdentity.from_key(self.target)

    @property
    def target_label(self) -> str:
        """The target and object as people read them."""
        identity = self.identity
        where = str(identity) if identity else self.target
        return f"{where} {self.object}"

    def request(self) -> LoadRequest:
        """The options it ran with, read back (to resume it, or load its left-overs again).

        Raises:
            ConfigError: the recorded options are unreadable.
        """
        return LoadRequest.of(**self.options)

    def check_target(self, identity: TargetIdentity, *, force: bool) -> None:
        """Refuse to take the run up against another target than the one it loaded into.

        Raises:
            ConfigError: the configured target differs (unless ``force``).
        """
        if force or same_target(self.target, identity):
            return
        raise ConfigError(
            f"run {self.run_id} loaded into {self.identity or self.target}, but the target "
            f"configured now is {identity}: point hubload at the run's target (or --force to "
            "send its rows to this one)"
        )


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk's submission state: what the target was asked, and what it answered."""

    run_id: str
    number: int
    rows: int
    sha256: str
    state: ChunkState
    job_id: str | None
    attempts: int
    attempt_started_at: datetime | None = None
    staged_at: datetime | None = None
    job_status: str | None = None
    succeeded: int | None = None
    failed: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class RowRecord:
    """A row that did not load, by its source line."""

    line: int
    outcome: RowOutcome
    reason: str
    transient: bool = False
    claimed_by: str | None = None
    resolved_by: str | None = None
