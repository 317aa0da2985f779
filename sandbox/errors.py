"""The error bodies failed calls answer with, per face, and the handlers that produce them.

`ApiError` is the one exception handlers raise to answer an error; anything else reaching the
top becomes a 500 (its traceback is logged, never sent). The path tells the face: Open
Connectors' envelope under `/elements`, Salesforce's `[{"errorCode", "message"}]` under
`/services`, and OAuth's `{"error", "error_description"}` under `/services/oauth2`.
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
SALESFORCE_PREFIX = "/services/"
OAUTH_PREFIX = "/services/oauth2/"
# Salesforce's error code for a status when the raiser named none.
_SALESFORCE_CODES = {
    400: "INVALID_REQUEST",
    401: "INVALID_SESSION_ID",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "UNKNOWN_EXCEPTION",
    503: "SERVER_UNAVAILABLE",
}
NOT_FOUND_MESSAGE = "The requested resource does not exist"


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


def salesforce_error(
    status_code: int,
    message: str,
    error_code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Salesforce's REST error body: a JSON array of `{"errorCode", "message"}`."""
    code = error_code or _SALESFORCE_CODES.get(status_code, "UNKNOWN_EXCEPTION")
    body = [{"errorCode": code, "message": message}]
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def oauth_error(status_code: int, description: str, error: str | None = None) -> JSONResponse:
    """OAuth's error body `{"error", "error_description"}`."""
    body = {"error": error or "invalid_request", "error_description": description}
    return JSONResponse(body, status_code=status_code)


def error_response(
    request: Request,
    status_code: int,
    message: str,
    *,
    provider_message: str | None = None,
    error_code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The error body of the face `request` called."""
    path = request.url.path
    if path.startswith(OAUTH_PREFIX):
        return oauth_error(status_code, message, error_code)
    if path.startswith(SALESFORCE_PREFIX) or path.rstrip("/") == SALESFORCE_PREFIX.rstrip("/"):
        return salesforce_error(status_code, message, error_code, headers)
    return envelope(status_code, message, provider_message, headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Answer an `ApiError`."""
    assert isinstance(exc, ApiError)
    return error_response(
        request,
        exc.status_code,
        exc.message,
        provider_message=exc.provider_message,
        error_code=exc.error_code,
        headers=exc.headers,
    )


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Answer Starlette's own errors: unknown routes (404) and wrong methods (405)."""
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    salesforce = path.startswith(SALESFORCE_PREFIX)
    if exc.status_code == 404:
        message = NOT_FOUND_MESSAGE if salesforce else f"No such resource: {method} {path}"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = (
            f"HTTP Method '{method}' not allowed. Allowed are {allowed.replace(' ', '')}"
            if salesforce
            else f"Method {method} is not allowed on {path}"
        )
    else:
        message = exc.detail
    return error_response(request, exc.status_code, message, headers=exc.headers)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Answer any other exception with a 500; the traceback goes to the log only."""
    if not isinstance(exc, DroppedResponseError):
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "An unexpected error occurred in the sandbox.")


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
