"""Bulk query jobs: one scan into a result database per job, then streamed as CSV or JSON lines.

The job copies the matching rows, inside SQLite, into a small database file of its own (no
Python object per row, no write lock on the main database): the download is a snapshot of the
records as they were when the job ran, however they change afterwards.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.ceql import Query
from sandbox.db import quote, read_only
from sandbox.fields import FieldSpec, ObjectSpec

_ROWS_PER_CHUNK = 2000
Row = tuple[object, ...]
# Given the result's columns, what to do to each row before it is written (None: nothing).
Transform = Callable[[list[str]], Callable[[Row], Row] | None]
_RESULT_TABLE = "result"


def result_path(files_dir: Path, job_id: int) -> Path:
    """Where a query job's result lives."""
    return files_dir / f"query-{job_id}.db"


def run_query(conn: sqlite3.Connection, query: Query, out_path: Path) -> int:
    """Copy the query's rows into a fresh database at `out_path` and count them.

    `conn` must not be inside a transaction (SQLite cannot attach a database in one).
    """
    sql, params = query.sql()
    partial = out_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    conn.execute("ATTACH DATABASE ? AS query_result", (str(partial),))
    try:
        conn.execute("PRAGMA query_result.journal_mode=OFF")
        conn.execute(f"CREATE TABLE query_result.{_RESULT_TABLE} AS {sql}", params)
        count_sql = f"SELECT COUNT(*) FROM query_result.{_RESULT_TABLE}"  # noqa: S608
        (count,) = conn.execute(count_sql).fetchone()
    finally:
        conn.execute("DETACH DATABASE query_result")
    partial.replace(out_path)
    return int(count)


def _json_value(field: FieldSpec | None, column: str) -> str:
    """An SQL expression giving the JSON value of a column (an empty string is null)."""
    value = f"NULLIF({quote(column)}, '')"
    native = field.native if field is not None else "string"
    if native == "int":
        return f"CAST({value} AS INTEGER)"
    if native in ("double", "currency"):
        return f"CAST({value} AS REAL)"
    if native == "boolean":
        return f"CASE {value} WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') END"
    return value


def _open(path: Path) -> tuple[sqlite3.Connection, list[str]]:
    # Read-only, and usable from the thread pool threads a streaming answer runs in.
    conn = read_only(path)
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({_RESULT_TABLE})")]
    return conn, columns


def _rows(
    conn: sqlite3.Connection, select: str, after: int = 0, limit: int = -1
) -> Iterator[list[tuple[object, ...]]]:
    """The result's rows after row number `after` (at most `limit`; -1: all), in order."""
    cursor = conn.execute(
        f"SELECT {select} FROM {_RESULT_TABLE} WHERE rowid > ? ORDER BY rowid LIMIT ?",  # noqa: S608
        (after, limit),
    )
    while rows := cursor.fetchmany(_ROWS_PER_CHUNK):
        yield rows


@dataclass(frozen=True)
class CsvStyle:
    """How a result is written as CSV (the csv module's defaults: Open Connectors' downloads)."""

    delimiter: str = ","
    lineterminator: str = "\r\n"
    quote_all: bool = False  # Salesforce quotes every value


def csv_chunks(
    path: Path,
    style: CsvStyle | None = None,
    *,
    after: int = 0,
    limit: int = -1,
    transform: Transform | None = None,
) -> Iterator[bytes]:
    """The result as CSV: the header (its columns in order), then rows `after`+1 onwards (at
    most `limit`), each passed through what `transform` makes of the columns, if anything."""
    style = style or CsvStyle()
    conn, columns = _open(path)
    try:
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=style.delimiter,
            lineterminator=style.lineterminator,
            quoting=csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL,
        )
        writer.writerow(columns)
        convert = transform(columns) if transform is not None else None
        for rows in _rows(conn, ", ".join(quote(c) for c in columns), after, limit):
            writer.writerows(rows if convert is None else map(convert, rows))
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode("utf-8")
    finally:
        conn.close()


def json_line_chunks(path: Path, spec: ObjectSpec) -> Iterator[bytes]:
    """The result as one JSON object per line; numbers and booleans typed, null for empty."""
    conn, columns = _open(path)
    try:
        pairs = ", ".join(f"'{c}', {_json_value(spec.field(c), c)}" for c in columns)
        for rows in _rows(conn, f"json_object({pairs})"):
            yield ("\n".join(str(row[0]) for row in rows) + "\n").encode("utf-8")
    finally:
        conn.close()
