"""Bulk API 2.0 query jobs: create (SOQL), read, abort, delete, list, and their results paged
by `maxRecords` and `locator` (`Sforce-NumberOfRecords`, `Sforce-Locator`: "null" at the end).

A query job runs as an Open Connectors one does: one scan, inside SQLite, into a result
database of its own; pages stream from it by row number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from sandbox.catalogue import HUBS
from sandbox.context import SandboxContext
from sandbox.exceptions import ApiError
from sandbox.fields import ObjectSpec
from sandbox.jobs import Face, Job, JobStatus, Operation, creation_stamps
from sandbox.querying import CsvStyle, Row, Transform, csv_chunks, result_path
from sandbox.sf.api import check_version, json_body
from sandbox.sf.ingest import enum_value, invalid_job
from sandbox.sf.jobinfo import DELIMITERS, LINE_ENDINGS, STATES, job_info, sf_job_or_404
from sandbox.sf.joblife import abort, delete, invalid_state, list_jobs
from sandbox.sf.locators import make_locator, read_locator
from sandbox.sf.results import CSV_TYPE
from sandbox.sf.soql import InvalidFieldError, InvalidTypeError, MalformedQueryError, parse_soql

HUB = "helpdesk"
DEFAULT_PAGE = 50_000  # simple-salesforce's page size too
_STORED_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})"
)


def sf_datetime(value: str) -> str:
    """A stored date-time as Salesforce returns it: UTC, milliseconds, `Z`."""
    match = _STORED_DATETIME.fullmatch(value)
    if match is None:
        return value
    day, clock, fraction, zone = match.groups()
    millis = (fraction or ".0")[1:].ljust(3, "0")
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:  # not a date-time after all: as stored
        return value
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{millis}Z"


async def create(request: Request, ctx: SandboxContext) -> Response:
    """`POST .../jobs/query`: `{"operation": "query"|"queryAll", "query": SOQL}`; answered in
    JSON whatever `Accept` says (simple-salesforce asks for CSV and reads JSON)."""
    version = check_version(request.path_params["version"])
    body = await json_body(request)
    operation = Operation(enum_value(body, "operation", ["query", "queryAll"], ""))
    delimiter = enum_value(body, "columnDelimiter", list(DELIMITERS), "COMMA")
    line_ending = enum_value(body, "lineEnding", list(LINE_ENDINGS), "LF")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise invalid_job("The query of the job is required")
    try:
        query = parse_soql(text, include_deleted=operation is Operation.QUERY_ALL)
    except MalformedQueryError as exc:
        raise ApiError(400, str(exc), error_code="MALFORMED_QUERY") from exc
    except InvalidFieldError as exc:
        raise ApiError(400, str(exc), error_code="INVALID_FIELD") from exc
    except InvalidTypeError as exc:
        raise ApiError(400, str(exc), error_code="INVALID_TYPE") from exc
    job = await run_in_threadpool(
        ctx.store.create_job,
        Job(
            id=0,
            hub=HUB,
            object_name=query.spec.name,
            kind="query",
            status=JobStatus.CREATED,
            query=text,
            face=Face.SALESFORCE,
            operation=operation,
            delimiter=DELIMITERS[delimiter],
            line_ending=line_ending,
            api_version=version,
            **creation_stamps(),
        ),
    )
    ctx.runner.submit(job.id)
    return JSONResponse(job_info(job))


async def get(request: Request, ctx: SandboxContext) -> Response:
    """`GET .../jobs/query/{id}`: the job info."""
    return JSONResponse(job_info(await sf_job_or_404(ctx, request.path_params["job_id"], "query")))


async def patch(request: Request, ctx: SandboxContext) -> Response:
    """`PATCH .../jobs/query/{id}` `{"state": "Aborted"}`."""
    job = await sf_job_or_404(ctx, request.path_params["job_id"], "query")
    state = enum_value(await json_body(request), "state", list(STATES.values()), "")
    if state != "Aborted":
        raise invalid_state(f"Changing the state of a query job to {state} is not allowed")
    return await abort(ctx, job)


async def remove(request: Request, ctx: SandboxContext) -> Response:
    """`DELETE .../jobs/query/{id}`: 204."""
    return await delete(ctx, await sf_job_or_404(ctx, request.path_params["job_id"], "query"))


async def listing(request: Request, ctx: SandboxContext) -> Response:
    """`GET .../jobs/query`: every query job."""
    return await list_jobs(request, ctx, "query")


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"maxRecords must be a positive whole number: {raw}")
    return int(raw)


def _utc_stamps(spec: ObjectSpec) -> Transform:
    """Date-times of `spec` written as Salesforce writes them."""

    def for_columns(columns: list[str]) -> Callable[[Row], Row] | None:
        fields = [spec.field(column) for column in columns]
        stamps = {i for i, f in enumerate(fields) if f is not None and f.native == "datetime"}
        if not stamps:
            return None

        def convert(row: Row) -> Row:
            return tuple(
                sf_datetime(v) if i in stamps and isinstance(v, str) and v else v
                for i, v in enumerate(row)
            )

        return convert

    return for_columns


async def results(request: Request, ctx: SandboxContext) -> Response:
    """`GET .../jobs/query/{id}/results?maxRecords=N&locator=L`: one page of CSV."""
    job = await sf_job_or_404(ctx, request.path_params["job_id"], "query")
    if job.status is not JobStatus.COMPLETED:
        raise invalid_state(f"The query's results are not ready (state: {STATES[job.status]})")
    size = _page_size(request.query_params.get("maxRecords"))
    scope = f"query-{job.id}"
    token = request.query_params.get("locator")
    after = read_locator(token, scope) if token else 0
    path = result_path(ctx.files_dir, job.id)
    if not path.exists():
        raise ApiError(
            404, "The results of this job are no longer available", error_code="NOT_FOUND"
        )
    count = max(0, min(size, job.records_count - after))
    more = after + count < job.records_count
    headers = {
        "Content-Type": CSV_TYPE,
        "Sforce-NumberOfRecords": str(count),
        "Sforce-Locator": make_locator(scope, after + count) if more else "null",
    }
    style = CsvStyle(job.delimiter, LINE_ENDINGS.get(job.line_ending, "\n"), quote_all=True)
    spec = next(s for s in HUBS[HUB] if s.name == job.object_name)
    chunks = csv_chunks(path, style, after=after, limit=size, transform=_utc_stamps(spec))
    return StreamingResponse(chunks, headers=headers)
