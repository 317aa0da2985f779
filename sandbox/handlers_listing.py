"""`GET /hubs/{hub}/bulk/jobs`: the hub's bulk jobs, newest first, filtered by a CEQL `where`
on `object_name`, `job_status`, `job_direction`, `record_count` (and `error_count`, `id`),
paged by `pageSize` and `nextPage`, and cut to `fields`.

Only the jobs made through the Open Connectors face of this hub are listed (jobs made at the
Salesforce face are the org's own, not the platform's); a job is listed from its creation on.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sandbox.ceql import Condition, parse_where
from sandbox.context import SandboxContext
from sandbox.exceptions import ApiError, QueryError
from sandbox.fields import FieldSpec, ObjectSpec
from sandbox.handlers_jobs import NEXT_PAGE_HEADER, RETURNED_COUNT_HEADER, page_size
from sandbox.handlers_upload import INSTANCE_ID
from sandbox.jobs import Face, Job, wire_status
from sandbox.store import Store

# The listing's filterable keys, as a pseudo object so CEQL's parser reads the `where`.
_LISTED = ObjectSpec(
    "",
    "bulk jobs",
    (
        FieldSpec("id", "string"),
        FieldSpec("object_name", "string"),
        FieldSpec("job_status", "string"),
        FieldSpec("job_direction", "string"),
        FieldSpec("record_count", "int"),
        FieldSpec("error_count", "int"),
    ),
    id_style="integer",
)
_BATCH = 500
# `where` names the status `job_status`; the element calls it `status` (and `job_state`).
_ELEMENT_KEYS = {"job_status": "status"}


def _created_ms(job: Job) -> int:
    if job.created_ms:
        return job.created_ms
    # A job of an older sandbox: its text date, to the millisecond.
    moment = datetime.strptime(job.created_date, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(moment.timestamp() * 1000)


def listed(job: Job, spelling: str) -> dict[str, Any]:
    """One element of the listing (snake_case, unlike the status body)."""
    status = wire_status(job.status, spelling)
    return {
        "id": str(job.id),
        "instanceId": INSTANCE_ID,
        "object_name": job.object_name,
        "job_direction": "UPLOAD" if job.kind == "upload" else "DOWNLOAD",
        "job_query": job.query,
        "job_state": status,
        "status": status,
        "record_count": job.records_count,
        "error_count": job.failed_count,
        "fileFormat": "csv",
        "notification_url": job.callback_url,
        "job_reset_attempt": 0,
        "createdDate": _created_ms(job),
        "completion_time": job.finished_ms,
    }


def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _holds(condition: Condition, value: Any) -> bool:
    """Whether a listed value meets a condition (text ignoring case, counts as numbers)."""
    empty = value is None or value == ""
    if condition.op in ("null", "notnull"):
        return empty == (condition.op == "null")
    if condition.op == "like":
        return not empty and _like(str(condition.values[0])).fullmatch(str(value)) is not None
    if condition.compare == "number":
        left: Any = float(value) if not empty else None
        rights: list[Any] = [float(v) for v in condition.values]
    else:
        left = str(value).lower() if not empty else None
        rights = [str(v).lower() for v in condition.values]
    if condition.op == "!=":
        return left is None or left != rights[0]
    if left is None:
        return False
    tests = {
        "=": left == rights[0],
        "in": left in rights,
        "<": left < rights[0],
        "<=": left <= rights[0],
        ">": left > rights[0],
        ">=": left >= rights[0],
    }
    return bool(tests[condition.op])


def _page(
    store: Store, hub: str, conditions: list[Condition], cursor: int, size: int, spelling: str
) -> list[dict[str, Any]]:
    """Up to `size` + 1 listed jobs older than `cursor` that meet every condition."""
    found: list[dict[str, Any]] = []
    while len(found) <= size:
        batch = store.jobs_after(
            hub, Face.OPEN_CONNECTORS, None, cursor, newest_first=True, limit=_BATCH
        )
        if not batch:
            break
        for job in batch:
            element = listed(job, spelling)
            values = (element[_ELEMENT_KEYS.get(c.field.name, c.field.name)] for c in conditions)
            if all(_holds(c, value) for c, value in zip(conditions, values, strict=True)):
                found.append(element)
                if len(found) > size:
                    break
        cursor = batch[-1].id
    return found


def _token(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"jobs:{last_id}".encode()).decode().rstrip("=")


def _read_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        scope, last = text.split(":")
        if scope != "jobs" or int(last) < 1:
            raise ValueError(text)
        return int(last)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid nextPage token: {token}") from exc


async def list_jobs(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`GET /hubs/{hub}/bulk/jobs?where=...&pageSize=N&nextPage=TOKEN&fields=a,b`."""
    params = request.query_params
    size = page_size(params.get("pageSize"))
    where = params.get("where")
    try:
        conditions = parse_where(_LISTED, where) if where and where.strip() else []
    except QueryError as exc:
        raise ApiError(400, f"Invalid where clause: {exc}") from exc
    token = params.get("nextPage")
    cursor = _read_token(token) if token else 0
    spelling = ctx.config.complete_spelling
    found = await run_in_threadpool(_page, ctx.store, hub, conditions, cursor, size, spelling)
    page = found[:size]
    headers = {RETURNED_COUNT_HEADER: str(len(page))}
    if len(found) > size:
        headers[NEXT_PAGE_HEADER] = _token(int(page[-1]["id"]))
    wanted = [name.strip() for name in (params.get("fields") or "").split(",") if name.strip()]
    if wanted:
        page = [{key: element[key] for key in wanted if key in element} for element in page]
    return Response(json.dumps(page), media_type="application/json", headers=headers)
