"""Reading and writing the ledger."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.exc import IntegrityError

from hubload.ledger import tables

_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    """The content hash of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class Ledger:
    """hubload's record of what it loaded; one per home (or per shared database URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        tables.metadata.create_all(self.engine)

    @classmethod
    def at_home(cls, home: Path) -> Ledger:
        """The default ledger: ``<home>/ledger.db``."""
        home.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{home / 'ledger.db'}")

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def loaded_file(self, sha256: str) -> dict[str, str] | None:
        """The earlier load of a file with this content, if any."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(tables.files).where(tables.files.c.sha256 == sha256))
                .mappings()
                .first()
            )
        return {k: str(v) for k, v in row.items()} if row else None

    def record_file(self, sha256: str, path: Path, hub: str, object_name: str, run_id: str) -> bool:
        """Remember that this content was loaded; False if it already was (kept as it was)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(tables.files).values(
                        sha256=sha256,
                        path=str(path),
                        hub=hub,
                        object=object_name,
                        run_id=run_id,
                        loaded_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    def forget_file(self, sha256: str) -> None:
        """Drop a file's record (a forced reload records it again)."""
        with self.engine.begin() as conn:
            conn.execute(tables.files.delete().where(tables.files.c.sha256 == sha256))


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
