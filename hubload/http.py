"""The one place where HTTP answers and transport failures become hubload errors, and the one
retry loop every call to a target goes through.

Targets differ only in how their error bodies read (an ``Envelope``); the status codes mean the
same everywhere: 429 and 5xx are retriable (``Retry-After`` honoured), 401/403 are auth errors,
404 is not found, any other 4xx is fatal.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from hubload.errors import (
    ApiError,
    AuthError,
    FatalApiError,
    NotFoundError,
    RetriableError,
)

log = logging.getLogger("hubload.http")

_MAX_TEXT = 300
T = TypeVar("T")
_CALLS: ContextVar[list[int] | None] = ContextVar("hubload_http_calls", default=None)


@contextlib.contextmanager
def counting_calls() -> Iterator[Callable[[], int]]:
    """Count the requests this thread (context) sends to a target until the block ends; the
    yielded function gives the count so far."""
    counter = [0]
    token = _CALLS.set(counter)
    try:
        yield lambda: counter[0]
    finally:
        _CALLS.reset(token)


_RNG = random.Random()  # noqa: S311 - spreads retry delays; not a secret


@dataclass(frozen=True)
class ErrorBody:
    """What an error answer says, whatever its target's shape."""

    message: str
    code: str | None = None
    request_id: str | None = None
    provider_message: str | None = None


Envelope = Callable[[httpx.Response, Any], ErrorBody | None]
"""Reads a target's error body (the parsed JSON, or None) into an ``ErrorBody``; None when the
body is not in the target's shape (the text of the answer is reported instead)."""


def no_envelope(response: httpx.Response, body: Any) -> ErrorBody | None:
    """An envelope that knows no shape: errors are reported by their text."""
    return None


def send(
    http: httpx.Client,
    request: httpx.Request,
    *,
    stream: bool = False,
    envelope: Envelope = no_envelope,
) -> httpx.Response:
    """Send ``request`` and return its successful (2xx) response.

    With ``stream=True`` the body of a successful response is left unread (the caller closes it).

    Raises:
        RetriableError: 429, 5xx, a timeout or a connection failure (``retry_after`` when given).
        AuthError: 401 or 403.
        NotFoundError: 404.
        FatalApiError: any other non-2xx status.
    """
    method, url = request.method, redacted_url(request.url)
    counter = _CALLS.get()
    if counter is not None:
        counter[0] += 1
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
    raise error_for_response(response, method=method, url=url, envelope=envelope)


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
            url=redacted_url(response.request.url),
        ) from exc
    finally:
        response.close()


def error_for_response(
    response: httpx.Response, *, method: str, url: str, envelope: Envelope = no_envelope
) -> ApiError:
    """The hubload error for a non-2xx response, with the target's own message and codes."""
    body = _read_error(response, envelope)
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
        body.message,
        status_code=status,
        code=body.code,
        request_id=body.request_id,
        provider_message=body.provider_message,
        method=method,
        url=url,
        retry_after=parse_retry_after(response) if cls is RetriableError else None,
        # A gateway's 502/504 may come after the service did the work: unknown, not refused.
        outcome_unknown=status in (502, 504),
    )


def _read_error(response: httpx.Response, envelope: Envelope) -> ErrorBody:
    try:
        body = response.json()
    except ValueError:
        body = None
    try:
        found = envelope(response, body)
    except (TypeError, ValueError, KeyError, AttributeError):
        found = None  # a shape we do not know: reported by its text below
    if found is not None:
        return found
    return ErrorBody(message=text_excerpt(response))


def text_excerpt(response: httpx.Response) -> str:
    """The answer's text on one line, cut short (or its reason phrase when empty)."""
    return " ".join(response.text.split())[:_MAX_TEXT] or response.reason_phrase


@dataclass(frozen=True)
class ClockOffset:
    """How far a server's clock is ahead of this machine's, within bounds: its ``Date``
    header counts whole seconds, stamped somewhere between sending and receiving."""

    low: float
    high: float

    @classmethod
    def of(cls, response: httpx.Response, sent: float, received: float) -> ClockOffset | None:
        """From a response's ``Date`` header (None without one); ``sent`` and ``received``
        are this machine's clock around the request."""
        try:
            server = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
        except (KeyError, TypeError, ValueError):
            return None
        return cls(low=server - received, high=server + 1 - sent)


def json_body(response: httpx.Response) -> Any:
    """The parsed JSON of a successful answer.

    Raises:
        FatalApiError: the answer is not JSON (a target answering in a shape we do not know).
    """
    try:
        return response.json()
    except ValueError as exc:
        raise FatalApiError(
            f"expected JSON, got {response.headers.get('content-type', 'no content type')}: "
            f"{' '.join(response.text.split())[:120]!r}",
            status_code=response.status_code,
            method=response.request.method,
            url=redacted_url(response.request.url),
        ) from exc


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


def redacted_url(url: httpx.URL) -> str:
    """The URL as errors and logs show it: no query (it may hold user data), no user info."""
    return str(url.copy_with(query=None, username=None, password=None, fragment=None))


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed call is retried: exponential backoff with jitter, ``Retry-After`` first,
    within a number of attempts and a total time budget."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.25
    """Each computed delay is spread by up to this share, up or down, so clients do not align."""
    budget: float | None = None
    """Seconds the retries of one call may wait in all; None: only ``attempts`` bounds them."""

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
        """``call()``, called again after each retriable failure until the last attempt (or the
        budget is spent). ``give_up`` may raise instead of a retry (when sending again would be
        unsafe).

        Raises:
            RetriableError: still failing after the last attempt.
            ApiError: any non-retriable failure, at once.
        """
        attempt = 1
        waited = 0.0
        while True:
            try:
                return call()
            except RetriableError as exc:
                if give_up is not None:
                    give_up(exc)
                wait = self.delay(attempt, exc)
                if attempt >= self.attempts or (
                    self.budget is not None and waited + wait > self.budget
                ):
                    raise
                log.warning(
                    "%s%s; retrying in %.1fs (attempt %d of %d)",
                    label,
                    exc,
                    wait,
                    attempt + 1,
                    self.attempts,
                )
                sleep(wait)
                waited += wait
                attempt += 1


def send_with_retries(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    *,
    stream: bool = False,
    envelope: Envelope = no_envelope,
) -> httpx.Response:
    """``send`` an idempotent request, retrying retriable failures per ``policy``.

    Raises:
        RetriableError: still failing after the last attempt.
        ApiError: any non-retriable failure, at once.
    """
    return policy.run(lambda: send(http, build(), stream=stream, envelope=envelope), sleep)
