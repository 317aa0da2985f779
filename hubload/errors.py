"""The one exception tree of hubload; every error a caller can act on is one of these.

    HubloadError                      root: catch this to catch everything hubload raises
    ├── ConfigError                   bad settings, mapping or usage: fix the configuration (exit 2)
    ├── InputFileError                the input file cannot be read whole: nothing was submitted
    ├── StorageError                  the shared storage (reports, inputs) cannot be read or written
    ├── ApiError                      the target answered with an error, or could not be reached
    │   ├── RetriableError            429, 5xx, timeouts and connection failures: try again later
    │   ├── AuthError                 401 / 403: the credentials are wrong or lack a permission
    │   └── FatalApiError             any other 4xx: the request itself is wrong, do not retry
    │       └── NotFoundError         404: unknown hub, object or job
    ├── SubmissionUnknownError        an upload's answer was lost: the job may exist, not resent
    ├── PartialLoadError              a load ended with rows rejected or failed (has the summary)
    ├── FilesFailedError              a nightly run in which some files failed (has each file's)
    ├── JobTimeoutError               a bulk job was not terminal when the polling budget ran out
    ├── StopRequestedError            the load was asked to stop (Ctrl+C, SIGTERM): resume it
    └── ReconciliationError           read != succeeded + rejected + failed: a bug, never ignored

Errors keep their context as attributes (``status_code``, ``request_id``, ``job_id``, ...) and
never carry a credential in their message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hubload.summary import Summary


class HubloadError(Exception):
    """Root of every error hubload raises on purpose."""


class ConfigError(HubloadError):
    """The settings, the mapping or the command line are wrong; nothing was sent."""


class InputFileError(HubloadError):
    """The input file cannot be read whole (encoding, binary, header, empty)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class StorageError(HubloadError):
    """The shared storage of reports and inputs (a folder or an fsspec URL) cannot be read or
    written: unreachable, no permission, or the object is missing."""


class ApiError(HubloadError):
    """The target answered with an error status, or could not be reached at all. ``code`` is
    the target's own error code when it gave one (``INVALID_SESSION_ID``)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        provider_message: str | None = None,
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.provider_message = provider_message
        self.method = method
        self.url = url

    def __str__(self) -> str:
        head = [f"HTTP {self.status_code}" if self.status_code is not None else None]
        if self.method and self.url:
            head.append(f"{self.method} {self.url}")
        message = f"{self.code}: {self.message}" if self.code else self.message
        text = ": ".join([h for h in head if h] + [message])
        if self.provider_message:
            text += f" (provider: {self.provider_message})"
        if self.request_id:
            text += f" (requestId {self.request_id})"
        return text


class RetriableError(ApiError):
    """A transient failure (429, 5xx, timeout, dropped connection): the same call may succeed.

    ``retry_after`` holds the seconds the server asked us to wait, when it said.
    ``outcome_unknown`` is true when the request may have reached the server and taken effect
    (the connection broke after sending, or the answer timed out): resending a call that
    creates something could then create it twice.
    """


class AuthError(ApiError):
    """401 or 403: the credentials were refused; retrying will not help."""


class FatalApiError(ApiError):
    """A 4xx other than 401/403/429: the request is wrong and must not be retried as is."""


class NotFoundError(FatalApiError):
    """404: the hub, object or job does not exist at the target."""


class SubmissionUnknownError(HubloadError):
    """An upload's answer was lost: the target may have created the job. It was not resent,
    since an insert sent twice loads its rows twice."""

    def __init__(self, message: str, *, chunk: int, path_name: str) -> None:
        super().__init__(message)
        self.chunk = chunk
        self.path_name = path_name


class PartialLoadError(HubloadError):
    """A load ended with rows rejected or failed. Every row is accounted for in ``summary``; this
    is the failed run's result, so that record-level failures never pass silently."""

    def __init__(self, message: str, summary: Summary) -> None:
        super().__init__(message)
        self.summary = summary


class FilesFailedError(HubloadError):
    """A nightly run in which some files failed or could not be read; ``results`` says what
    became of each file."""

    def __init__(self, message: str, results: list[Any]) -> None:
        super().__init__(message)
        self.results = results


class JobTimeoutError(HubloadError):
    """A bulk job was still not terminal when the polling budget ran out."""

    def __init__(self, job_id: str, *, waited: float, last_status: str) -> None:
        super().__init__(
            f"bulk job {job_id} still {last_status} after {waited:.1f}s of polling; "
            "its outcome is unknown, poll it again later"
        )
        self.job_id = job_id
        self.waited = waited
        self.last_status = last_status


class StopRequestedError(HubloadError):
    """The load was asked to stop (Ctrl+C or SIGTERM) while a step waited: nothing is lost,
    ``hubload resume`` takes the run up."""


class ReconciliationError(HubloadError):
    """The row counts of a load do not add up: some row is unaccounted for."""
