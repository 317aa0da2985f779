"""Calls to a Salesforce org's REST API: the bearer token added at send time, one renewal on a
401, Salesforce's error arrays read, and transient failures retried where the call is safe."""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

import httpx

from hubload.errors import AuthError
from hubload.http import ErrorBody, RetryPolicy, iter_body, send
from hubload.targets.salesforce.auth import Token, TokenSource
from hubload.targets.salesforce.config import SalesforceConfig

CSV_TYPE = "text/csv; charset=UTF-8"
_SPOOL_BYTES = 8 << 20


def envelope(response: httpx.Response, body: Any) -> ErrorBody | None:
    """Salesforce's error answer: ``[{"errorCode", "message"}]`` (or OAuth's ``error``)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        code = first.get("errorCode")
        message = first.get("message") or code
        if message:
            more = f" (+{len(body) - 1} more)" if len(body) > 1 else ""
            return ErrorBody(message=f"{message}{more}", code=str(code) if code else None)
    if isinstance(body, dict) and (body.get("errorCode") or body.get("error")):
        code = body.get("errorCode") or body.get("error")
        message = body.get("message") or body.get("error_description") or code
        return ErrorBody(message=str(message), code=str(code))
    return None


class SalesforceApi:
    """One org's REST API over one ``httpx.Client`` (thread-safe; shared by a run's tasks)."""

    def __init__(
        self,
        config: SalesforceConfig,
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.http = httpx.Client(
            timeout=timeout or httpx.Timeout(60.0, connect=10.0, write=300.0),
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.tokens = TokenSource(config, self.http, retry=self.retry, sleep=sleep)

    @property
    def instance_url(self) -> str:
        """The org's instance URL (the configured one, else the login's answer).

        Raises:
            AuthError, ApiError: a login was needed and failed.
        """
        return self.tokens.current().instance_url

    def url(self, token: Token, path: str) -> str:
        """``{instance}/services/data/v{version}/{path}``."""
        return f"{token.instance_url}/services/data/v{self.config.api_version}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: Callable[[], Any] | None = None,
        retry: bool = True,
        stream: bool = False,
        absolute: bool = False,
    ) -> httpx.Response:
        """Send one call. ``content()`` gives a fresh body for each attempt (an open file).
        With ``retry`` (a call safe to repeat) transient failures are retried per the policy.
        ``absolute``: ``path`` is a path from the instance root (a ``nextRecordsUrl``).

        Raises:
            AuthError: refused even with a renewed token (or no renewal possible).
            RetriableError: still failing after the retries (or at once when ``retry`` is off).
            ApiError: any other refusal.
        """

        def once() -> httpx.Response:
            token = self.tokens.current()
            try:
                return self._send(
                    token, method, path, json, params, headers, content, stream, absolute
                )
            except AuthError as exc:
                if exc.status_code != 401:
                    raise
            renewed = self.tokens.renew(token)
            return self._send(
                renewed, method, path, json, params, headers, content, stream, absolute
            )

        if retry:
            return self.retry.run(once, self.sleep)
        return once()

    def _send(
        self,
        token: Token,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        content: Callable[[], Any] | None,
        stream: bool,
        absolute: bool,
    ) -> httpx.Response:
        url = f"{token.instance_url}{path}" if absolute else self.url(token, path)
        all_headers = {**(headers or {}), "Authorization": f"Bearer {token.access_token}"}
        body = content() if content is not None else None
        try:
            request = self.http.build_request(
                method, url, json=json, params=params, headers=all_headers, content=body
            )
            return send(self.http, request, stream=stream, envelope=envelope)
        finally:
            close = getattr(body, "close", None)
            if callable(close):
                close()

    def spooled_text(self, response: httpx.Response) -> IO[str]:
        """A streamed answer (CSV results) copied to a spooled temporary file and reopened as
        UTF-8 text with newlines kept, for ``csv.reader``; the response is closed.

        Raises:
            RetriableError: the connection broke mid-body.
        """
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - returned
        for chunk in iter_body(response, 1 << 16):
            spool.write(chunk)
        spool.seek(0)
        return io.TextIOWrapper(spool, encoding="utf-8", newline="")

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
