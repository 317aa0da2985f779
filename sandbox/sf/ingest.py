"""Bulk API 2.0 ingest jobs: create, upload the CSV (`PUT .../batches`), close or abort,
read, list and delete.

The data is streamed to a file of the job's own; closing the job hands it to the workers,
which process it exactly as an Open Connectors upload (same checks, same record store).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from sandbox.context import SandboxContext
from sandbox.errors import DroppedResponse
from sandbox.exceptions import ApiError
from sandbox.fields import ObjectSpec
from sandbox.jobs import Face, Job, JobStatus, Operation, creation_stamps
from sandbox.sf.api import check_version, json_body, json_error
from sandbox.sf.describe import org_object
from sandbox.sf.jobinfo import DELIMITERS, LINE_ENDINGS, STATES, job_info, sf_job_id, sf_job_or_404
from sandbox.sf.joblife import abort, delete, invalid_state, list_jobs

HUB = "helpdesk"
INGEST_OPERATIONS = {op.value: op for op in Operation if not op.is_query}


def invalid_job(message: str) -> ApiError:
    """400 INVALIDJOB: the job asked for cannot be made."""
    return ApiError(400, f"InvalidJob : {message}", error_code="INVALIDJOB")


def enum_value(body: dict[str, Any], key: str, allowed: list[str], default: str) -> str:
    """A JSON field holding one of Salesforce's enum names (`default` when absent).

    Raises:
        ApiError: 400 JSON_PARSER_ERROR for another value, as Salesforce's JSON reader gives.
    """
    value = body.get(key, default)
    if value not in allowed:
        raise json_error(
            f"Cannot deserialize value of {key} from {value!r}: value not one of declared "
            f"Enum instance names: [{', '.join(allowed)}]"
        )
    return str(value)


def _external_id(body: dict[str, Any], spec: ObjectSpec) -> str:
    raw = body.get("externalIdFieldName")
    if not isinstance(raw, str) or not raw.strip():
        raise invalid_job(
            f"External ID was blank for {spec.name}. An External ID must be specified for upsert."
        )
    field = spec.field(raw)
    if field is None or not field.id_lookup:
        raise invalid_job(
            f"Field name provided, {raw} does not match an External ID, Salesforce Id, or "
            f"indexed field for {spec.name}"
        )
    return field.name


async def create(request: Request, ctx: SandboxContext) -> Response:
    """`POST .../jobs/ingest`: an Open job."""
    version = check_version(request.path_params["version"])
    body = await json_body(request)
    operation = Operation(enum_value(body, "operation", list(INGEST_OPERATIONS), ""))
    enum_value(body, "contentType", ["CSV"], "CSV")
    delimiter = enum_value(body, "columnDelimiter", list(DELIMITERS), "COMMA")
    line_ending = enum_value(body, "lineEnding", list(LINE_ENDINGS), "LF")
    name = body.get("object")
    if not isinstance(name, str) or not name:
        raise invalid_job("The object of the job is required")
    spec = org_object(name)
    if spec is None:
        raise invalid_job(f"Unable to find object: {name}")
    identifier = _external_id(body, spec) if operation is Operation.UPSERT else None
    job = await run_in_threadpool(
        ctx.store.create_job,
        Job(
            id=0,
            hub=HUB,
            object_name=spec.name,
            kind="upload",
            status=JobStatus.OPEN,
            identifier=identifier,
            face=Face.SALESFORCE,
            operation=operation,
            delimiter=DELIMITERS[delimiter],
            line_ending=line_ending,
            api_version=version,
            **creation_stamps(),
        ),
    )
    return JSONResponse(job_info(job))


def _one_upload_only(job: Job) -> ApiError:
    return invalid_state(
        f"Found multiple contents for job: <{sf_job_id(job)}>, please 'Close' / 'Abort' / "
        "'Delete' the current Job then create a new Job and make sure you only do 'PUT' once "
        "on a given Job."
    )


def _check_open(job: Job) -> None:
    if job.status is not JobStatus.OPEN:
        raise invalid_state(f"Job is not in the Open state (state: {STATES[job.status]})")
    if job.file is not None:
        raise _one_upload_only(job)


async def _receive(request: Request, dest: Path, limit: int) -> int:
    """Stream the body to `dest`; its size in bytes.

    Raises:
        ApiError: 413 over `limit` (the rest of the body is read and dropped), 400 when the
            client went away.
    """
    received = 0
    try:
        with dest.open("wb") as handle:
            async for chunk in request.stream():
                received += len(chunk)
                if received <= limit:
                    handle.write(chunk)
    except ClientDisconnect as exc:
        raise ApiError(400, "The client went away during the upload") from exc
    if received > limit:
        raise ApiError(
            413,
            f"The job's data is larger than the limit of {limit} bytes",
            error_code="REQUEST_ENTITY_TOO_LARGE",
        )
    return received


async def upload(request: Request, ctx: SandboxContext) -> Response:
    """`PUT .../jobs/ingest/{id}/batches` (text/csv): the job's one upload, answered 201."""
    job = await sf_job_or_404(ctx, request.path_params["job_id"], "upload")
    _check_open(job)
    media_type, _ = parse_options_header(request.headers.get("content-type"))
    if media_type != b"text/csv":
        raise ApiError(415, "The job's data must be sent as text/csv")
    limit = ctx.config.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413,
            f"The job's data ({declared} bytes) is larger than the limit of {limit} bytes",
            error_code="REQUEST_ENTITY_TOO_LARGE",
        )
    dest = ctx.files_dir / f"sf-upload-{uuid.uuid4().hex}.csv"
    try:
        if await _receive(request, dest, limit) == 0:
            raise invalid_job("The job's data is empty")
        if not await run_in_threadpool(ctx.store.attach_file, job.id, dest):
            current = await run_in_threadpool(ctx.store.job, job.id)
            _check_open(current or job)
            raise _one_upload_only(job)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if ctx.faults.lose_response():
        return DroppedResponse()
    return Response(status_code=201)


def _close_sync(ctx: SandboxContext, job: Job) -> Job:
    if not ctx.store.set_status(job.id, JobStatus.CREATED, from_=(JobStatus.OPEN,)):
        current = ctx.store.job(job.id) or job
        raise invalid_state(f"Closing a job in state {STATES[current.status]} is not allowed")
    closed = ctx.store.job(job.id) or job
    ctx.runner.submit(job.id)
    return closed


async def patch(request: Request, ctx: SandboxContext) -> Response:
    """`PATCH .../jobs/ingest/{id}`: `{"state": "UploadComplete"}` or `{"state": "Aborted"}`."""
    job = await sf_job_or_404(ctx, request.path_params["job_id"], "upload")
    state = enum_value(await json_body(request), "state", list(STATES.values()), "")
    if state == "Aborted":
        return await abort(ctx, job)
    if state != "UploadComplete":
        raise invalid_state(f"Changing the state of a job to {state} is not allowed")
    closed = await run_in_threadpool(_close_sync, ctx, job)
    if ctx.faults.lose_response():
        return DroppedResponse()
    return JSONResponse(job_info(closed))


async def get(request: Request, ctx: SandboxContext) -> Response:
    """`GET .../jobs/ingest/{id}`: the job info."""
    return JSONResponse(job_info(await sf_job_or_404(ctx, request.path_params["job_id"], "upload")))


async def remove(request: Request, ctx: SandboxContext) -> Response:
    """`DELETE .../jobs/ingest/{id}`: 204."""
    return await delete(ctx, await sf_job_or_404(ctx, request.path_params["job_id"], "upload"))


async def listing(request: Request, ctx: SandboxContext) -> Response:
    """`GET .../jobs/ingest`: Get All Jobs."""
    return await list_jobs(request, ctx, "upload")
