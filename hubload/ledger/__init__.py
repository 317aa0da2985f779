"""The run ledger: what hubload loaded, in a SQLite file or any SQLAlchemy URL (PostgreSQL)."""

from hubload.ledger.store import (
    LOAD_OPTIONS,
    ChunkRecord,
    Ledger,
    RowRecord,
    RunRecord,
    file_sha256,
)

__all__ = ["LOAD_OPTIONS", "ChunkRecord", "Ledger", "RowRecord", "RunRecord", "file_sha256"]
