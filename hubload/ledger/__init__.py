"""The run ledger: what hubload loaded, in a SQLite file or any SQLAlchemy URL (PostgreSQL)."""

from hubload.ledger.records import (
    ChunkRecord,
    ChunkState,
    RowOutcome,
    RowRecord,
    RunKind,
    RunRecord,
    RunStatus,
    file_sha256,
    same_target,
)
from hubload.ledger.store import AmbiguousRunError, Ledger

__all__ = [
    "AmbiguousRunError",
    "ChunkRecord",
    "ChunkState",
    "Ledger",
    "RowOutcome",
    "RowRecord",
    "RunKind",
    "RunRecord",
    "RunStatus",
    "file_sha256",
    "same_target",
]
