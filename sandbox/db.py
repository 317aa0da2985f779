"""One SQLite database (WAL) shared by threads: a connection per thread, and SQL helpers.

Connections are in autocommit mode: whoever needs a transaction opens one explicitly
(`BEGIN IMMEDIATE`). SQL text is only ever built from catalogue names (quoted identifiers);
values are always bound parameters, which is why the sandbox's `# noqa: S608` markers are safe.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sandbox.fields import FieldSpec, ObjectSpec

_BUSY_TIMEOUT_S = 120.0


def quote(name: str) -> str:
    """An SQL identifier (catalogue names are plain; quoting keeps `Case` and `list` legal)."""
    return '"' + name.replace('"', '""') + '"'


def collation(field: FieldSpec) -> str:
    """How values of `field` are matched: record ids exactly, other values ignoring case."""
    return "BINARY" if field.native == "id" else "NOCASE"


def ensure_index(conn: sqlite3.Connection, spec: ObjectSpec, field: FieldSpec) -> None:
    """Index `field` the way it is matched (see `collation`) if not yet done."""
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(f'ix_{spec.table}_{field.name}')} "
        f"ON {quote(spec.table)} ({quote(field.name)} COLLATE {collation(field)})"
    )


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the database at `path`, usable from any thread (a streamed
    answer's chunks are made in the thread pool's threads, one at a time).

    Raises:
        sqlite3.Error: the database cannot be opened.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def add_missing_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Add to `table` the `columns` (name -> SQL declaration) a database made by an older
    sandbox lacks; the values of existing rows are the declarations' defaults."""
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({quote(table)})")}
    for name, declaration in columns.items():
        if name not in present:
            conn.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {declaration}")


class Database:
    """A SQLite file in WAL mode; `connection()` gives the calling thread its own connection.

    WAL lets readers go on while a job's long write transaction is open. With `autocheckpoint`
    off, a commit leaves its pages in the WAL and the writer calls `checkpoint()` when it
    suits it (the copy into the database and its fsyncs take a tenth of the job's time).
    """

    def __init__(self, path: Path, schema: str, *, autocheckpoint: bool = True) -> None:
        self.path = path
        self._autocheckpoint = autocheckpoint
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        conn = self.connection()
        # Big pages make bulk inserts a quarter cheaper; it only applies to a new database.
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(schema)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use.

        Raises:
            RuntimeError: the database was closed.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError(f"the sandbox database {self.path} is closed")
                conn = sqlite3.connect(
                    self.path,
                    timeout=_BUSY_TIMEOUT_S,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA temp_store=MEMORY")
                conn.execute("PRAGMA cache_size=-65536")
                if not self._autocheckpoint:
                    conn.execute("PRAGMA wal_autocheckpoint=0")
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def checkpoint(self) -> None:
        """Copy what the WAL holds into the database, as far as readers allow (never waits)."""
        self.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        """Close every connection; the database cannot be used afterwards."""
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()
