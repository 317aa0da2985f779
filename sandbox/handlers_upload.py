"""`POST /hubs/{hub}/bulk/{object}`: receive a CSV upload, check it and queue its job."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from sandbox.context import SandboxContext
from sandbox.errors import DroppedResponse
from sandbox.exceptions import ApiError
from sandbox.fields import ObjectSpec
from sandbox.jobs import Job, JobStatus, salesforce_timestamp
from sandbox.uploads import MULTIPART_OVERHEAD, check_looks_like_csv, receive_upload

CALLBACK_HEADER = "elements-async-callback-url"
INSTANCE_ID = 1


def parse_metadata(raw: str | None, spec: ObjectSpec) -> tuple[str | None, bool]:
    """The upload's `metaData` part as (identifier field name or None, serial mode).

    Raises:
        ApiError: 400 for JSON that is not an object, an unknown identifier field, or an
            unsupported `concurrency` or `format`.
    """
    if raw is None or not raw.strip():
        return None, False
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"metaData is not valid JSON: {exc.msg}") from exc
    if not isinstance(meta, dict):
        raise ApiError(400, "metaData must be a JSON object")
    identifier = meta.get("identifierFieldName")
    if identifier is not None:
        field = spec.field(identifier) if isinstance(identifier, str) else None
        if field is None:
            raise ApiError(
                400, f"metaData names an unknown identifierFieldName for {spec.name}: {identifier}"
            )
        identifier = field.name
    concurrency = meta.get("concurrency")
    if concurrency is not None and str(concurrency).lower() not in ("serial", "parallel"):
        raise ApiError(400, f"metaData concurrency must be 'serial' or 'parallel': {concurrency}")
    fmt = meta.get("format")
    if fmt is not None and str(fmt).lower() != "csv":
        raise ApiError(400, f"The sandbox accepts CSV files only, not format {fmt!r}")
    return identifier, str(concurrency).lower() == "serial"


def callback_url_of(request: Request) -> str | None:
    """The request's `Elements-Async-Callback-Url`, if any.

    Raises:
        ApiError: 400 when it is not an http(s) URL.
    """
    url = request.headers.get(CALLBACK_HEADER)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(400, f"Elements-Async-Callback-Url is not an http(s) URL: {url}")
    return url


def _check_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise ApiError(413, f"The upload ({declared} bytes) is larger than the limit of {limit}")


async def upload(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """Stream the file to disk, refuse what is plainly wrong, answer CREATED at once."""
    spec = ctx.object_or_404(hub, request.path_params["object"])
    path = request.query_params.get("path")
    if not path:
        raise ApiError(
            400, "The query parameter 'path' (the file's name, e.g. /data.csv) is missing"
        )
    callback_url = callback_url_of(request)
    limit = ctx.config.max_upload_bytes
    _check_declared_size(request, limit)
    dest = ctx.files_dir / f"upload-{uuid.uuid4().hex}.csv"
    try:
        received = await receive_upload(request, dest, limit)
        if received.file_parts == 0:
            raise ApiError(400, "The upload has no 'file' part")
        if received.file_bytes == 0:
            raise ApiError(400, "The uploaded file is empty")
        check_looks_like_csv(received.head)
        identifier, serial = parse_metadata(received.fields.get("metaData"), spec)
        job = await run_in_threadpool(
            ctx.store.create_job,
            Job(
                id=0,
                hub=hub,
                object_name=spec.name,
                kind="upload",
                status=JobStatus.CREATED,
                created_date=salesforce_timestamp(),
                path=path,
                file=str(dest),
                identifier=identifier,
                serial=serial,
                callback_url=callback_url,
            ),
        )
    except ClientDisconnect as exc:
        dest.unlink(missing_ok=True)
        raise ApiError(400, "The client went away during the upload") from exc
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    ctx.runner.submit(job.id)
    if ctx.faults.lose_response():
        return DroppedResponse()
    return JSONResponse({"id": str(job.id), "status": "CREATED", "instanceId": INSTANCE_ID})
