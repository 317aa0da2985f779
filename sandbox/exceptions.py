"""The sandbox's exceptions, all under one root.

SandboxError
├── ApiError                answer this request with the face's error body (status, message)
├── DroppedResponseError    raised on purpose after a response started: cut the connection
├── UnprocessableFileError  a job's file cannot be processed at all: the job ends ERROR
├── JobInterruptedError     cancelled or stopping mid-job: roll back, store nothing
└── QueryError              a query outside the CEQL subset (also a ValueError): 400
"""

from __future__ import annotations

from collections.abc import Mapping


class SandboxError(Exception):
    """Root of the sandbox's exceptions."""


class ApiError(SandboxError):
    """An error answer: HTTP status, message, optional vendor message and error code.

    The face that was called shapes the body (`sandbox.errors`): Open Connectors' envelope
    uses `provider_message`; Salesforce's `[{"errorCode", "message"}]` and OAuth's
    `{"error", "error_description"}` use `error_code` (a default per status when None).
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        provider_message: str | None = None,
        headers: Mapping[str, str] | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.provider_message = provider_message
        self.headers = dict(headers or {})
        self.error_code = error_code


class DroppedResponseError(SandboxError):
    """Raised on purpose after a response started: the connection is cut (lost response)."""


class UnprocessableFileError(SandboxError):
    """The file as a whole cannot be processed; the job ends `ERROR` (Failed) with this message.

    `unknown_field` names the first header name that is no field, for Salesforce's own wording.
    """

    def __init__(self, message: str, *, unknown_field: str | None = None) -> None:
        super().__init__(message)
        self.unknown_field = unknown_field


class JobInterruptedError(SandboxError):
    """The job was cancelled or the sandbox is stopping: roll back, store nothing."""


class QueryError(SandboxError, ValueError):
    """The query is not in the supported subset, or names an unknown object or field."""
