"""The sandbox's persistence: jobs in one SQLite database, records and their errors in another.

Job rows are small and written often (create, status, cancel); records are written by one long
transaction per job. Keeping them apart means creating or cancelling a job never waits for a
job being processed. A job's records, its per-record errors, the rows it stored (for a
Salesforce job's results) and its outcome (counts) commit together in the records database; a
restart that finds an outcome for a job still marked RUNNING completes it instead of redoing it.
A database made by an older sandbox gains the columns added since.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sandbox.catalogue import all_objects, resolve_object
from sandbox.db import Database, add_missing_columns, ensure_index, quote
from sandbox.fields import FieldSpec, ObjectSpec
from sandbox.jobs import UNFINISHED, Face, Job, JobStatus, Operation, now_ms

_JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    hub TEXT NOT NULL,
    object_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created_date TEXT NOT NULL,
    path TEXT,
    file TEXT,
    identifier TEXT,
    serial INTEGER NOT NULL DEFAULT 0,
    query TEXT,
    callback_url TEXT,
    records_count INTEGER NOT NULL DEFAULT 0,
    failed_count INTEGER NOT NULL DEFAULT 0,
    status_message TEXT
);
"""
# Columns added since the first sandbox: a database it made gains them at start-up.
_JOB_COLUMNS_ADDED = {
    "face": "TEXT NOT NULL DEFAULT 'oc'",
    "operation": "TEXT NOT NULL DEFAULT 'insert'",
    "delimiter": "TEXT NOT NULL DEFAULT ','",
    "line_ending": "TEXT NOT NULL DEFAULT 'LF'",
    "api_version": "TEXT NOT NULL DEFAULT ''",
    "created_ms": "INTEGER NOT NULL DEFAULT 0",
    "finished_ms": "INTEGER",
}
_RECORDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_errors (
    job_id INTEGER NOT NULL,
    record_number INTEGER NOT NULL,
    error TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (job_id, record_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_outcomes (
    job_id INTEGER PRIMARY KEY,
    records_count INTEGER NOT NULL,
    failed_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS job_successes (
    job_id INTEGER NOT NULL,
    first_number INTEGER NOT NULL,
    created INTEGER NOT NULL,
    first_seq INTEGER,
    numbers BLOB NOT NULL,
    ids TEXT,
    PRIMARY KEY (job_id, first_number, created)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sequences (
    tbl TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
"""
# The records database's tables that hold a job's own rows (a deleted job leaves none).
_JOB_TABLES = ("job_errors", "job_outcomes", "job_successes")
_FIRST_JOB_ID = 1001
_JOB_COLUMNS = (
    "id, hub, object_name, kind, status, created_date, path, file, identifier, serial, query, "
    "callback_url, records_count, failed_count, status_message, face, operation, delimiter, "
    "line_ending, api_version, created_ms, finished_ms"
)


def records_db_path(db_path: Path) -> Path:
    """The records database beside the jobs database: `sandbox.db` -> `sandbox-records.db`."""
    return db_path.with_name(db_path.stem + "-records" + db_path.suffix)


def _column_sql(spec: FieldSpec) -> str:
    if spec.generated_sql is not None:
        return f"{quote(spec.name)} TEXT GENERATED ALWAYS AS ({spec.generated_sql}) VIRTUAL"
    return f"{quote(spec.name)} TEXT"


def _row_to_job(row: tuple[Any, ...]) -> Job:
    return Job(
        id=row[0],
        hub=row[1],
        object_name=row[2],
        kind=row[3],
        status=JobStatus(row[4]),
        created_date=row[5],
        path=row[6],
        file=row[7],
        identifier=row[8],
        serial=bool(row[9]),
        query=row[10],
        callback_url=row[11],
        records_count=row[12],
        failed_count=row[13],
        status_message=row[14],
        face=Face(row[15]),
        operation=Operation(row[16]),
        delimiter=row[17],
        line_ending=row[18],
        api_version=row[19],
        created_ms=row[20],
        finished_ms=row[21],
    )


class Store:
    """Jobs, records and errors; thread-safe through one connection per thread and database."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self.jobs_db = Database(db_path, _JOBS_SCHEMA)
        add_missing_columns(self.jobs_db.connection(), "jobs", _JOB_COLUMNS_ADDED)
        # Uploads checkpoint the records database themselves, once their job reads COMPLETED.
        self.records_db = Database(records_db_path(db_path), _RECORDS_SCHEMA, autocheckpoint=False)
        conn = self.records_db.connection()
        for spec in all_objects():
            self._create_object_table(conn, spec)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the jobs database."""
        return self.jobs_db.connection()

    def records_connection(self) -> sqlite3.Connection:
        """This thread's connection to the records database (records, errors, outcomes)."""
        return self.records_db.connection()

    def checkpoint_records(self) -> None:
        """Move the records committed so far from the WAL into the records database."""
        self.records_db.checkpoint()

    def close(self) -> None:
        """Close every connection; the store cannot be used afterwards."""
        self.jobs_db.close()
        self.records_db.close()

    def _create_object_table(self, conn: sqlite3.Connection, spec: ObjectSpec) -> None:
        columns = ", ".join(_column_sql(f) for f in spec.fields)
        table = quote(spec.table)
        conn.execute(f'CREATE TABLE IF NOT EXISTS {table} ("_seq" INTEGER PRIMARY KEY, {columns})')
        stored = {f.name: "TEXT" for f in spec.fields if f.generated_sql is None}
        add_missing_columns(conn, spec.table, stored)
        # No index on the record id: inserts stay cheap; one is made when an upsert needs it.
        for field in spec.fields:
            if field.unique or field.external_id:
                ensure_index(conn, spec, field)

    # jobs -----------------------------------------------------------------------------------

    def create_job(self, job: Job) -> Job:
        """Store a new job (its `id` is ignored) and return it with the id it was given."""
        conn = self.connection()
        cursor = conn.execute(
            f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ("  # noqa: S608
            f"(SELECT COALESCE(MAX(id), {_FIRST_JOB_ID - 1}) + 1 FROM jobs), "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                job.hub,
                job.object_name,
                job.kind,
                job.status.value,
                job.created_date,
                job.path,
                job.file,
                job.identifier,
                int(job.serial),
                job.query,
                job.callback_url,
                job.records_count,
                job.failed_count,
                job.status_message,
                job.face.value,
                job.operation.value,
                job.delimiter,
                job.line_ending,
                job.api_version,
                job.created_ms,
                job.finished_ms,
            ),
        )
        (job_id,) = cursor.fetchone()
        cursor.close()
        return self.job(job_id) or job

    def job(self, job_id: int) -> Job | None:
        """The job with this id, if any."""
        conn = self.connection()
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?"  # noqa: S608
        row = conn.execute(sql, (job_id,)).fetchone()
        return None if row is None else _row_to_job(row)

    def set_status(
        self,
        job_id: int,
        status: JobStatus,
        *,
        message: str | None = None,
        records: int | None = None,
        failed: int | None = None,
        from_: Iterable[JobStatus] = UNFINISHED,
    ) -> bool:
        """Move a job whose status is one of `from_` (unfinished ones by default) to `status`;
        False when it was in another (e.g. already terminal). A terminal status stamps the
        job's `finished_ms`."""
        sources = [s.value for s in from_]
        finished = now_ms() if status.is_terminal() else None
        sql = (
            "UPDATE jobs SET status = ?, status_message = COALESCE(?, status_message), "  # noqa: S608
            "records_count = COALESCE(?, records_count), failed_count = COALESCE(?, failed_count), "
            "finished_ms = COALESCE(?, finished_ms) "
            f"WHERE id = ? AND status IN ({', '.join('?' * len(sources))})"
        )
        cursor = self.connection().execute(
            sql,
            (status.value, message, records, failed, finished, job_id, *sources),
        )
        return cursor.rowcount == 1

    def attach_file(self, job_id: int, file: Path) -> bool:
        """Give an Open job its data; False when it is not Open or already has a file."""
        cursor = self.connection().execute(
            "UPDATE jobs SET file = ? WHERE id = ? AND status = ? AND file IS NULL",
            (str(file), job_id, JobStatus.OPEN.value),
        )
        return cursor.rowcount == 1

    def delete_job(self, job_id: int) -> None:
        """Forget a job: its row, and its errors, successes and outcome in the records database."""
        self.connection().execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        conn = self.records_connection()
        for table in _JOB_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))  # noqa: S608

    def jobs_after(
        self,
        hub: str,
        face: Face,
        kind: str | None,
        cursor: int,
        *,
        newest_first: bool,
        limit: int,
    ) -> list[Job]:
        """Up to `limit` jobs of a hub and face (and kind, unless None) beyond `cursor` (an id)
        in the order asked; `cursor` 0 starts from the beginning."""
        before = newest_first and cursor > 0
        kinds = (kind, kind) if kind is not None else ("upload", "query")
        sql = (
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE hub = ? AND face = ? "  # noqa: S608
            f"AND kind IN (?, ?) AND id {'<' if before else '>'} ? "
            f"ORDER BY id {'DESC' if newest_first else 'ASC'} LIMIT ?"
        )
        rows = self.connection().execute(sql, (hub, face.value, *kinds, cursor, limit))
        return [_row_to_job(row) for row in rows]

    def unfinished_jobs(self) -> list[int]:
        """Ids of the jobs a restart must redo, oldest first."""
        rows = self.connection().execute(
            "SELECT id FROM jobs WHERE status IN (?, ?) ORDER BY id", UNFINISHED
        )
        return [row[0] for row in rows]

    # outcomes and errors (records database) ------------------------------------------------

    @staticmethod
    def save_outcome(conn: sqlite3.Connection, job_id: int, records: int, failed: int) -> None:
        """Record a job's counts inside its records transaction (`conn`)."""
        conn.execute(
            "INSERT OR REPLACE INTO job_outcomes (job_id, records_count, failed_count) "
            "VALUES (?, ?, ?)",
            (job_id, records, failed),
        )

    def outcome(self, job_id: int) -> tuple[int, int] | None:
        """The committed counts (records, failed) of a job, if its records were stored."""
        row = (
            self.records_connection()
            .execute(
                "SELECT records_count, failed_count FROM job_outcomes WHERE job_id = ?", (job_id,)
            )
            .fetchone()
        )
        return None if row is None else (row[0], row[1])

    def errors_page(self, job_id: int, after: int, limit: int) -> list[tuple[int, str, str]]:
        """Up to `limit` errors of a job with a record number above `after`, in file order."""
        rows = self.records_connection().execute(
            "SELECT record_number, error, record FROM job_errors "
            "WHERE job_id = ? AND record_number > ? ORDER BY record_number LIMIT ?",
            (job_id, after, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    # records (also the test helpers) ----------------------------------------------------------

    def _spec(self, hub: str, object_name: str) -> ObjectSpec:
        spec = resolve_object(hub, object_name)
        if spec is None:
            raise KeyError(f"no object {object_name!r} in hub {hub!r}")
        return spec

    def count_records(self, hub: str, object_name: str) -> int:
        """How many records of the object are stored."""
        spec = self._spec(hub, object_name)
        sql = f"SELECT COUNT(*) FROM {quote(spec.table)}"  # noqa: S608
        row = self.records_connection().execute(sql).fetchone()
        return int(row[0])

    def records(self, hub: str, object_name: str) -> list[dict[str, str | None]]:
        """Every stored record of the object, oldest first, as field name -> value (None = null)."""
        spec = self._spec(hub, object_name)
        names = [f.name for f in spec.fields]
        select = ", ".join(quote(name) for name in names)
        rows = self.records_connection().execute(
            f'SELECT {select} FROM {quote(spec.table)} ORDER BY "_seq"'  # noqa: S608
        )
        # An empty string is how an insert stores null (see `sandbox.statements`).
        return [
            {name: (value if value != "" else None) for name, value in zip(names, row, strict=True)}
            for row in rows
        ]

    def count_jobs(self, hub: str | None = None) -> int:
        """How many jobs are stored (of one hub, if given)."""
        if hub is None:
            row = self.connection().execute("SELECT COUNT(*) FROM jobs").fetchone()
        else:
            row = (
                self.connection()
                .execute("SELECT COUNT(*) FROM jobs WHERE hub = ?", (hub,))
                .fetchone()
            )
        return int(row[0])

    def job_ids(self) -> list[int]:
        """Every job id, oldest first."""
        return [row[0] for row in self.connection().execute("SELECT id FROM jobs ORDER BY id")]

    def record_errors(self, job_id: int) -> list[dict[str, Any]]:
        """Every error element of a job (unpaged), for tests."""
        return [
            {"recordNumber": number, "error": error, "record": json.loads(record)}
            for number, error, record in self.errors_page(job_id, 0, 1 << 62)
        ]
