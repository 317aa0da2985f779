"""An ingest job's results: `successfulResults`, `failedResults` and `unprocessedRecords`.

Each is CSV (`text/csv; charset=UTF-8`, every value quoted, the job's delimiter and line
ending): `sf__Id`, `sf__Created` or `sf__Error`, then the row's cells exactly as uploaded.
They are made when asked, from the job's file read again (numbered as processing numbered it)
and what processing stored: its errors, and per chunk the rows it stored with their ids.

Salesforce does not keep the upload's order in results: rows come back shuffled within each
chunk of 5,000 (seeded by the job, so the same each time), chunks in file order.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from array import array
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from sandbox.context import SandboxContext
from sandbox.csvfiles import CHUNK_ROWS, data_chunks, open_csv
from sandbox.db import read_only
from sandbox.exceptions import ApiError
from sandbox.fields import ObjectSpec
from sandbox.ids import record_ids
from sandbox.jobs import Job, JobStatus, Operation
from sandbox.sf.api import not_found
from sandbox.sf.describe import org_object
from sandbox.sf.jobinfo import LINE_ENDINGS, STATES, sf_job_or_404
from sandbox.sf.joblife import invalid_state

CSV_TYPE = "text/csv; charset=UTF-8"


class ResultKind(StrEnum):
    """Which of a job's results is asked for (path segments match ignoring case)."""

    SUCCESSFUL = "successfulresults"
    FAILED = "failedresults"
    UNPROCESSED = "unprocessedrecords"


def _successes(
    conn: sqlite3.Connection, spec: ObjectSpec, job_id: int, first: int
) -> dict[int, tuple[str, bool]]:
    """Record number -> (record id, created) of the chunk starting at record `first`."""
    found: dict[int, tuple[str, bool]] = {}
    rows = conn.execute(
        "SELECT created, first_seq, numbers, ids FROM job_successes "
        "WHERE job_id = ? AND first_number = ?",
        (job_id, first),
    )
    for created, first_seq, blob, ids in rows:
        numbers = array("q")
        numbers.frombytes(blob)
        listed = record_ids(spec, first_seq, len(numbers)) if created else ids.split(",")
        found.update(zip(numbers, ((i, bool(created)) for i in listed), strict=True))
    return found


def _errors(conn: sqlite3.Connection, job_id: int, first: int, last: int) -> dict[int, str]:
    rows = conn.execute(
        "SELECT record_number, error FROM job_errors "
        "WHERE job_id = ? AND record_number BETWEEN ? AND ?",
        (job_id, first, last),
    )
    return dict(rows)


def _id_column(job: Job, header: list[str]) -> int | None:
    """The column of the record id, when the rows name their records by it."""
    by_id = job.operation in (Operation.UPDATE, Operation.DELETE, Operation.HARD_DELETE) or (
        job.operation is Operation.UPSERT and (job.identifier or "").lower() == "id"
    )
    lowered = [name.lower() for name in header]
    return lowered.index("id") if by_id and "id" in lowered else None


class _Rows:
    """Reads the job's file again and pairs each row with its outcome, chunk by chunk."""

    def __init__(self, job: Job, spec: ObjectSpec, records_db: Path, kind: ResultKind) -> None:
        self.job, self.spec, self.kind = job, spec, kind
        self.records_db = records_db
        self.writer_buffer = io.StringIO()
        self.writer = csv.writer(
            self.writer_buffer,
            delimiter=job.delimiter,
            lineterminator=LINE_ENDINGS.get(job.line_ending, "\n"),
            quoting=csv.QUOTE_ALL,
        )

    def _flush(self) -> bytes:
        data = self.writer_buffer.getvalue().encode("utf-8")
        self.writer_buffer.seek(0)
        self.writer_buffer.truncate()
        return data

    def chunks(self) -> Iterator[bytes]:
        """The result file, a chunk of the job's rows at a time."""
        if self.job.file is None:
            return
        handle, reader = open_csv(Path(self.job.file), self.job.delimiter)
        conn = read_only(self.records_db)  # the answer is streamed from the thread pool
        try:
            header = next(reader, None)
            if header is None:
                return
            self.writer.writerow(self._head(header))
            yield self._flush()
            first = 1
            for rows in data_chunks(reader):
                lines = self._lines(conn, header, first, rows)
                random.Random(f"{self.job.id}:{first}").shuffle(lines)  # noqa: S311
                self.writer.writerows(lines)
                yield self._flush()
                first += CHUNK_ROWS
        except (csv.Error, UnicodeDecodeError):
            return  # a file processing could not read either: what was read is the result
        finally:
            handle.close()
            conn.close()

    def _head(self, header: list[str]) -> list[str]:
        if self.kind is ResultKind.SUCCESSFUL:
            return ["sf__Id", "sf__Created", *header]
        if self.kind is ResultKind.FAILED:
            return ["sf__Id", "sf__Error", *header]
        return header

    def _lines(
        self, conn: sqlite3.Connection, header: list[str], first: int, rows: list[list[str]]
    ) -> list[list[str]]:
        if self.kind is ResultKind.UNPROCESSED:
            # Processing is all or nothing: a Failed or Aborted job processed no row.
            unprocessed = self.job.status is not JobStatus.COMPLETED
            return rows if unprocessed else []
        width = len(header)
        if self.kind is ResultKind.SUCCESSFUL:
            stored = _successes(conn, self.spec, self.job.id, first)
            lines = []
            for number, row in enumerate(rows, first):
                outcome = stored.get(number)
                if outcome is not None:
                    lines.append([outcome[0], "true" if outcome[1] else "false", *row])
            return lines
        errors = _errors(conn, self.job.id, first, first + len(rows) - 1)
        id_column = _id_column(self.job, header)
        lines = []
        for number, row in enumerate(rows, first):
            error = errors.get(number)
            if error is not None:
                cells = (row + [""] * width)[:width]  # a malformed row, fitted to the header
                record_id = cells[id_column] if id_column is not None else ""
                lines.append([record_id, error, *cells])
        return lines


async def results(request: Request, ctx: SandboxContext) -> Response:
    """`GET .../jobs/ingest/{id}/{successfulResults|failedResults|unprocessedRecords}[/]`."""
    job = await sf_job_or_404(ctx, request.path_params["job_id"], "upload")
    try:
        kind = ResultKind(request.path_params["kind"].lower())
    except ValueError as exc:
        raise not_found() from exc
    if not job.status.is_terminal():
        raise invalid_state(f"The job's results are not ready (state: {STATES[job.status]})")
    spec = org_object(job.object_name)
    if spec is None:
        raise ApiError(500, f"The job's object {job.object_name} is unknown")
    rows = _Rows(job, spec, ctx.store.records_db.path, kind)
    return StreamingResponse(rows.chunks(), headers={"Content-Type": CSV_TYPE})
