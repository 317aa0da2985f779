"""The error envelope every failed call answers with, and the handlers that produce it.

`ApiError` is the one exception handlers raise to answer an error; anything else reaching the
top becomes a 500 envelope (its traceback is logged, never sent).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from sandbox.exceptions import ApiError, DroppedResponseError

logger = logging.getLogger("sandbox")
REQUEST_ID_HEADER = "Elements-Request-Id"


def envelope(
    status_code: int,
    message: str,
    provider_message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON error envelope with a fresh request id in the body and the header."""
    request_id = str(uuid.uuid4())
    body: dict[str, str] = {"message": message, "requestId": request_id}
    if provider_message is not None:
        body["providerMessage"] = provider_message
    all_headers = {**(headers or {}), REQUEST_ID_HEADER: request_id}
    return JSONResponse(body, status_code=status_code, headers=all_headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Answer an `ApiError`."""
    assert isinstance(exc, ApiError)
    return envelope(exc.status_code, exc.message, exc.provider_message, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Answer Starlette's own errors: unknown routes (404) and wrong methods (405)."""
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 404:
        message = f"No such resource: {method} {path}"
    elif exc.status_code == 405:
        message = f"Method {method} is not allowed on {path}"
    else:
        message = exc.detail
    return envelope(exc.status_code, message, headers=exc.headers)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Answer any other exception with a 500 envelope; the traceback goes to the log only."""
    if not isinstance(exc, DroppedResponseError):
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope(500, "An unexpected error occurred in the sandbox.")


class DroppedResponse(Response):
    """Sends the status line and headers, then cuts the connection without a body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A body is promised (Content-Length) and never sent: the client sees a broken answer.
        headers = [(b"content-type", b"application/json"), (b"content-length", b"128")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise DroppedResponseError


class DroppedResponseLogFilter(logging.Filter):
    """Keeps uvicorn from printing a traceback for a response dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for uvicorn's report of a `DroppedResponseError`."""
        exc_info = record.exc_info
        return not (exc_info and isinstance(exc_info[1], DroppedResponseError))


def install_log_filter() -> None:
    """Add the `DroppedResponseLogFilter` to uvicorn's error logger once."""
    uvicorn_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DroppedResponseLogFilter) for f in uvicorn_logger.filters):
        uvicorn_logger.addFilter(DroppedResponseLogFilter())
