"""What every Salesforce REST call goes through, and the API versions the face serves.

A call under `/services/data/vXX.X/...` meets, in order: latency and the request faults (as
on the Open Connectors face), the bearer token, then the version.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.context import SandboxContext
from sandbox.errors import NOT_FOUND_MESSAGE
from sandbox.exceptions import ApiError

SfHandler = Callable[[Request, SandboxContext], Awaitable[Response]]
FIRST_VERSION = 41  # Winter '18: Bulk API 2.0 ingest
LATEST_VERSION = 68  # Winter '27
_VERSION = re.compile(r"v(\d{2})\.0")
_SEASONS = ("Winter", "Spring", "Summer")


def not_found() -> ApiError:
    """Salesforce's 404 for an unknown resource, object or job."""
    return ApiError(404, NOT_FOUND_MESSAGE, error_code="NOT_FOUND")


def version_label(major: int) -> str:
    """The release name of an API version: 59 -> "Winter '24"."""
    steps = major - FIRST_VERSION
    return f"{_SEASONS[steps % 3]} '{18 + steps // 3:02d}"


def check_version(segment: str) -> str:
    """The version of a `vXX.X` path segment, e.g. "59.0".

    Raises:
        ApiError: 404 NOT_FOUND for a version the face does not serve.
    """
    match = _VERSION.fullmatch(segment)
    if match is None or not FIRST_VERSION <= int(match.group(1)) <= LATEST_VERSION:
        raise not_found()
    return segment[1:]


def sf_call(handler: SfHandler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a Salesforce handler: latency and faults first, then the token, then the version."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        ctx: SandboxContext = request.app.state.sandbox
        await ctx.faults.before_hub_call()
        ctx.tokens.check_bearer(request.headers.get("authorization"))
        check_version(request.path_params["version"])
        return await handler(request, ctx)

    return endpoint


async def versions(request: Request) -> Response:
    """`GET /services/data/`: the API versions, oldest first (no token needed)."""
    return JSONResponse(
        [
            {"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(FIRST_VERSION, LATEST_VERSION + 1)
        ]
    )


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object.

    Raises:
        ApiError: 400 JSON_PARSER_ERROR for a body that is not a JSON object.
    """
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise json_error(f"Unexpected character in the JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise json_error("The request body must be a JSON object")
    return body


def json_error(message: str) -> ApiError:
    """400 JSON_PARSER_ERROR: a body Salesforce cannot read into the request it expects."""
    return ApiError(400, message, error_code="JSON_PARSER_ERROR")
