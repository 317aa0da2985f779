"""The one place where HTTP answers and transport failures become hubload errors."""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx

from hubload.errors import (
    ApiError,
    AuthError,
    FatalApiError,
    NotFoundError,
    RetriableError,
)

log = logging.getLogger("hubload.client")

_MAX_TEXT = 300


def send(http: httpx.Client, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
    """Send ``request`` and return its successful (2xx) response.

    With ``stream=True`` the body of a successful response is left unread (the caller closes it).

    Raises:
        RetriableError: 429, 5xx, a timeout or a connection failure (``retry_after`` when given).
        AuthError: 401 or 403.
        NotFoundError: 404.
        FatalApiError: any other non-2xx status.
    """
    method, url = request.method, _redacted_url(request.url)
    try:
        response = http.send(request, stream=stream)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # Nothing reached the server: safe to send again, whatever the call.
        raise RetriableError(
            f"could not connect: {type(exc).__name__}: {exc}", method=method, url=url
        ) from exc
    except httpx.TimeoutException as exc:
        raise RetriableError(
            f"timed out: {type(exc).__name__}", method=method, url=url, outcome_unknown=True
        ) from exc
    except httpx.TransportError as exc:
        raise RetriableError(
            f"connection failed: {type(exc).__name__}: {exc}",
            method=method,
            url=url,
            outcome_unknown=True,
        ) from exc
    log.debug("%s %s -> %s", method, url, response.status_code)
    if response.is_success:
        return response
    try:
        response.read()
    except httpx.TransportError as exc:
        raise RetriableError(
            f"HTTP {response.status_code} and the body was lost: {exc}", method=method, url=url
        ) from exc
    finally:
        response.close()
    raise error_for_response(response, method=method, url=url)


def iter_body(response: httpx.Response, chunk_size: int) -> Iterator[bytes]:
    """The body of a streamed response in chunks; the response is closed at the end.

    Raises:
        RetriableError: the connection failed mid-body.
    """
    try:
        yield from response.iter_bytes(chunk_size)
    except httpx.TransportError as exc:
        raise RetriableError(
            f"connection failed while reading the body: {type(exc).__name__}: {exc}",
            method=response.request.method,
            url=_redacted_url(response.request.url),
        ) from exc
    finally:
        response.close()


def error_for_response(response: httpx.Response, *, method: str, url: str) -> ApiError:
    """The hubload error for a non-2xx response, with the API's own message and request id."""
    message, request_id, provider = _envelope(response)
    status = response.status_code
    cls: type[ApiError]
    if status == 429 or status >= 500:
        cls = RetriableError
    elif status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFoundError
    else:
        cls = FatalApiError
    return cls(
        message,
        status_code=status,
        request_id=request_id,
        provider_message=provider,
        method=method,
        url=url,
        retry_after=parse_retry_after(response) if cls is RetriableError else None,
        # A gateway's 502/504 may come after the service did the work: unknown, not refused.
        outcome_unknown=status in (502, 504),
    )


def _envelope(response: httpx.Response) -> tuple[str, str | None, str | None]:
    request_id = response.headers.get("Elements-Request-Id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or response.reason_phrase
        request_id = body.get("requestId") or request_id
        provider = body.get("providerMessage")
        return (
            str(message),
            str(request_id) if request_id else None,
            str(provider) if provider else None,
        )
    text = response.text.strip()[:_MAX_TEXT] or response.reason_phrase
    return text, request_id, None


def parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _redacted_url(url: httpx.URL) -> str:
    # The bulk API takes no secret in the URL, but a query string may hold user data: keep paths.
    return str(url.copy_with(query=None))


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed call is retried: exponential backoff with jitter, ``Retry-After`` first."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.25
    """Each computed delay is spread by up to this share, up or down, so clients do not align."""

    def delay(self, attempt: int, error: RetriableError) -> float:
        """Seconds to wait before attempt ``attempt + 1``: the server's ``Retry-After`` when it
        gave one (without jitter; capped at ``max_delay``, so that one answer cannot stall a
        run), else ``base_delay * 2**(attempt-1)`` with jitter."""
        if error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        backoff = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        spread = _RNG.uniform(-self.jitter, self.jitter)
        return max(0.0, backoff * (1.0 + spread))

    def run(
        self,
        call: Callable[[], T],
        sleep: Callable[[float], None] = time.sleep,
        *,
        label: str = "",
        give_up: Callable[[RetriableError], None] | None = None,
    ) -> T:
        """``call()``, called again after each retriable failure until the last attempt.
        ``give_up`` may raise instead of a retry (when sending again would be unsafe).

        Raises:
            RetriableError: still failing after the last attempt.
            ApiError: any non-retriable failure, at once.
        """
        attempt = 1
        while True:
            try:
                return call()
            except RetriableError as exc:
                if give_up is not None:
                    give_up(exc)
                if attempt >= self.attempts:
                    raise
                wait = self.delay(attempt, exc)
                log.warning(
                    "%s%s; retrying in %.1fs (attempt %d of %d)",
                    label,
                    exc,
                    wait,
                    attempt + 1,
                    self.attempts,
                )
                sleep(wait)
                attempt += 1


T = TypeVar("T")
_RNG = random.Random()  # noqa: S311 - spreads retry delays; not a secret


def send_with_retries(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    *,
    stream: bool = False,
) -> httpx.Response:
    """``send`` an idempotent request, retrying retriable failures per ``policy``.

    Raises:
        RetriableError: still failing after the last attempt.
        ApiError: any non-retriable failure, at once.
    """
    return policy.run(lambda: send(http, build(), stream=stream), sleep)
