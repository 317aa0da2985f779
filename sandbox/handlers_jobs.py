"""Job endpoints: status, paged errors, cancel, bulk query creation and result download."""

from __future__ import annotations

import base64
import binascii
import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from sandbox.catalogue import resolve_object
from sandbox.ceql import parse_query
from sandbox.context import SandboxContext
from sandbox.exceptions import ApiError, QueryError
from sandbox.handlers_upload import callback_url_of
from sandbox.jobs import Job, JobStatus, salesforce_timestamp, status_body, wire_status
from sandbox.querying import csv_chunks, json_line_chunks, result_path

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 2000
RETURNED_COUNT_HEADER = "Elements-Returned-Count"
NEXT_PAGE_HEADER = "Elements-Next-Page-Token"


def page_token(job_id: int, after: int) -> str:
    """The opaque token of the page after record number `after`."""
    return base64.urlsafe_b64encode(f"{job_id}:{after}".encode()).decode().rstrip("=")


def read_page_token(token: str, job_id: int) -> int:
    """The record number a token continues after.

    Raises:
        ApiError: 400 for a token this job did not hand out.
    """
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, after = (int(part) for part in text.split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid nextPage token: {token}") from exc
    if owner != job_id or after < 0:
        raise ApiError(400, f"The nextPage token does not belong to job {job_id}")
    return after


def page_size(raw: str | None) -> int:
    """The `pageSize` asked for: 200 when absent, at most 2000.

    Raises:
        ApiError: 400 for anything but a positive whole number.
    """
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"pageSize must be a positive whole number, not {raw!r}")
    return min(int(raw), MAX_PAGE_SIZE)


async def job_status(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`GET /hubs/{hub}/bulk/{id}/status`."""
    job = await ctx.job_or_404(hub, request.path_params["job_id"])
    config = ctx.config
    return JSONResponse(status_body(job, config.status_style, config.complete_spelling))


async def job_errors(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`GET /hubs/{hub}/bulk/{id}/errors?pageSize=N&nextPage=TOKEN`, in file order."""
    job = await ctx.job_or_404(hub, request.path_params["job_id"])
    size = page_size(request.query_params.get("pageSize"))
    token = request.query_params.get("nextPage")
    after = read_page_token(token, job.id) if token else 0
    rows = await run_in_threadpool(ctx.store.errors_page, job.id, after, size + 1)
    page = rows[:size]
    # The stored record is already JSON: splice it in rather than parse and re-dump it.
    body = ",".join(
        f'{{"recordNumber":{number},"error":{json.dumps(error, ensure_ascii=False)},'
        f'"record":{record}}}'
        for number, error, record in page
    )
    headers = {RETURNED_COUNT_HEADER: str(len(page))}
    if len(rows) > size:
        headers[NEXT_PAGE_HEADER] = page_token(job.id, page[-1][0])
    return Response(f"[{body}]", media_type="application/json", headers=headers)


async def cancel_job(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`PUT /hubs/{hub}/bulk/{id}/cancel`: CANCELLED, or 409 when the job already ended."""
    job = await ctx.job_or_404(hub, request.path_params["job_id"])
    spelling = ctx.config.complete_spelling
    if job.status.is_terminal() or not await run_in_threadpool(ctx.runner.cancel, job.id):
        current = await run_in_threadpool(ctx.store.job, job.id) or job
        status = wire_status(current.status, spelling)
        raise ApiError(409, f"Bulk job {job.id} has already ended with status {status}")
    return JSONResponse({"id": str(job.id), "status": JobStatus.CANCELLED.value})


async def create_query(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`POST /hubs/{hub}/bulk/query?q=<CEQL>`: a download job."""
    text = request.query_params.get("q")
    if not text:
        raise ApiError(400, "The query parameter 'q' (a CEQL query) is missing")
    try:
        query = parse_query(hub, text)
    except QueryError as exc:
        raise ApiError(400, f"Invalid query: {exc}") from exc
    job = await run_in_threadpool(
        ctx.store.create_job,
        Job(
            id=0,
            hub=hub,
            object_name=query.spec.name,
            kind="query",
            status=JobStatus.CREATED,
            created_date=salesforce_timestamp(),
            query=text,
            callback_url=callback_url_of(request),
        ),
    )
    ctx.runner.submit(job.id)
    return JSONResponse({"id": str(job.id), "status": JobStatus.CREATED.value})


async def download(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`GET /hubs/{hub}/bulk/{id}/{object}`: a query job's records, CSV or JSON lines."""
    job = await ctx.job_or_404(hub, request.path_params["job_id"])
    name = request.path_params["object"]
    spec = resolve_object(hub, name)
    if job.kind != "query" or spec is None or spec.name != job.object_name:
        raise ApiError(404, f"Bulk job {job.id} is not a query job of object '{name}'")
    if job.status is not JobStatus.COMPLETED:
        status = wire_status(job.status, ctx.config.complete_spelling)
        raise ApiError(409, f"Bulk job {job.id} is not complete (status {status})")
    path = result_path(ctx.files_dir, job.id)
    if not path.exists():
        raise ApiError(404, f"The results of bulk job {job.id} are no longer available")
    accept = request.headers.get("accept", "").lower()
    if "text/csv" in accept:
        return StreamingResponse(csv_chunks(path), media_type="text/csv")
    if not accept or any(t in accept for t in ("application/json", "ndjson", "*/*")):
        return StreamingResponse(json_line_chunks(path, spec), media_type="application/json")
    raise ApiError(406, f"Cannot answer with {accept}: ask for text/csv or application/json")
