"""A typed client of the Open Connectors bulk API of one hub, over an injectable httpx.Client."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal
from urllib.parse import quote

import httpx

from hubload.errors import FatalApiError
from hubload.http import (
    ClockOffset,
    ErrorBody,
    RetryPolicy,
    iter_body,
    json_body,
    send,
    send_with_retries,
    text_excerpt,
)
from hubload.jobs import JobRef, JobStatus, PollPolicy, parse_state, wait_for_job
from hubload.records import RecordError
from hubload.targets.open_connectors.auth import Credentials, ElementsAuth
from hubload.targets.open_connectors.metadata import object_from_metadata
from schemas.catalog import ObjectSpec

CALLBACK_HEADER = "Elements-Async-Callback-Url"
NEXT_PAGE_HEADER = "Elements-Next-Page-Token"
REQUEST_ID_HEADER = "Elements-Request-Id"
_CHUNK = 1 << 16


def envelope(response: httpx.Response, body: Any) -> ErrorBody | None:
    """The platform's error envelope ``{"message", "requestId", "providerMessage"}``; another
    answer keeps its text and the request id of the header."""
    header_id = response.headers.get(REQUEST_ID_HEADER)
    message = body.get("message") or body.get("error") if isinstance(body, dict) else None
    if not message:
        return (
            ErrorBody(message=text_excerpt(response), request_id=header_id) if header_id else None
        )
    request_id = body.get("requestId") or header_id
    provider = body.get("providerMessage")
    return ErrorBody(
        message=str(message),
        request_id=str(request_id) if request_id else None,
        provider_message=str(provider) if provider else None,
    )


@dataclass(frozen=True)
class ListedJob:
    """One job of the job listing (``GET /bulk/jobs``), in its snake_case shape."""

    job_id: str
    object_name: str | None
    direction: str | None
    status: str | None
    record_count: int | None
    created_ms: int | None
    """``createdDate`` in epoch milliseconds."""

    @classmethod
    def from_element(cls, raw: Mapping[str, Any]) -> ListedJob:
        """Read one element of the listing, tolerant of missing keys."""

        def number(key: str) -> int | None:
            value = raw.get(key)
            if isinstance(value, bool):
                return None
            if isinstance(value, int | float):
                return int(value)
            return int(value) if isinstance(value, str) and value.isdigit() else None

        return cls(
            job_id=str(raw.get("id", "")),
            object_name=str(raw["object_name"]) if raw.get("object_name") else None,
            direction=str(raw["job_direction"]) if raw.get("job_direction") else None,
            status=str(raw.get("status") or raw.get("job_state") or "") or None,
            record_count=number("record_count"),
            created_ms=number("createdDate"),
        )


def record_error(raw: Mapping[str, Any]) -> RecordError:
    """One element of ``GET /bulk/{id}/errors``; its shape is not documented, so the usual
    spellings are accepted (``recordNumber``/``lineNumber``/``index``,
    ``error``/``message``/``errorMessage``/``sf__Error``, ``record``/``data``)."""
    text = _first(raw, "error", "message", "errorMessage", "sf__Error", "errors")
    if isinstance(text, list):
        text = "; ".join(str(t) for t in text)
    text = str(text) if text is not None else "UNKNOWN_ERROR:the target gave no message"
    number = _first(raw, "recordNumber", "lineNumber", "rowNumber", "index")
    record = _first(raw, "record", "data")
    cells = dict(record) if isinstance(record, Mapping) else {}
    return RecordError.of(
        text,
        record_number=int(number)
        if isinstance(number, int | str) and str(number).isdigit()
        else None,
        record={str(k): "" if v is None else str(v) for k, v in cells.items()},
    )


def _first(raw: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in raw and raw[key] is not None:
            return raw[key]
    return None


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class BulkClient:
    """The bulk API of one hub (one connector instance).

    Idempotent calls (reads, cancel) retry transient failures per ``retry``. Calls that create
    something (upload, query) are sent once: a lost answer must not become a second job, so
    deciding whether to send again belongs to the caller, who can look at the target first.
    """

    def __init__(
        self,
        http: httpx.Client,
        hub: str,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.hub = hub
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.clock: ClockOffset | None = None
        """The platform's clock against this machine's, as the last job listing showed it."""

    @classmethod
    def connect(
        cls,
        base_url: str,
        credentials: Credentials,
        hub: str,
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> BulkClient:
        """A client with its own ``httpx.Client`` for ``base_url`` (``.../elements/api-v2``)."""
        http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            auth=ElementsAuth(credentials),
            timeout=timeout or httpx.Timeout(60.0, connect=10.0, write=300.0),
            transport=transport,
            headers={"Accept": "application/json"},
        )
        return cls(http, hub, retry=retry)

    def for_hub(self, hub: str) -> BulkClient:
        """A client of another hub sharing this one's connection pool."""
        return BulkClient(self.http, hub, retry=self._retry, sleep=self._sleep)

    def close(self) -> None:
        """Close the underlying connection pool."""
        self.http.close()

    def __enter__(self) -> BulkClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------------

    def _url(self, *parts: str) -> str:
        return "/".join(["hubs", _seg(self.hub), *parts])

    def _get(self, *parts: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        url = self._url(*parts)
        return send_with_retries(
            self.http,
            lambda: self.http.build_request("GET", url, params=params),
            self._retry,
            self._sleep,
            envelope=envelope,
        )

    def _json(self, response: httpx.Response) -> Any:
        return json_body(response)

    # -- discovery ------------------------------------------------------------------------------

    def list_objects(self) -> list[str]:
        """The names of the hub's objects (``GET /objects``).

        Raises:
            ApiError: the call failed (see hubload.errors).
        """
        body = self._json(self._get("objects"))
        if not isinstance(body, list):
            raise FatalApiError("GET /objects did not answer a JSON array")
        return [str(name) for name in body]

    def describe(self, object_name: str) -> ObjectSpec:
        """The object's fields (``GET /objects/{object}/metadata``).

        Raises:
            NotFoundError: no such object in this hub.
            ApiError: the call failed otherwise, or the body has no field list.
        """
        body = self._json(self._get("objects", _seg(object_name), "metadata"))
        try:
            return object_from_metadata(object_name, body)
        except ValueError as exc:
            raise FatalApiError(f"metadata of {object_name!r} unreadable: {exc}") from exc

    # -- upload jobs ----------------------------------------------------------------------------

    def upload(
        self,
        object_name: str,
        csv_path: Path,
        *,
        path_name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        callback_url: str | None = None,
    ) -> JobRef:
        """Create a bulk upload job from a CSV file, streamed from disk (never read whole).

        Sent exactly once: a transient failure is raised, not retried (see the class doc).

        Raises:
            RetriableError: transient failure; the job may or may not exist at the target.
            ApiError: the target refused the upload.
        """
        name = path_name or csv_path.name
        headers = {CALLBACK_HEADER: callback_url} if callback_url else {}
        data = {"metaData": json.dumps(dict(metadata))} if metadata else None
        with csv_path.open("rb") as stream:
            request = self.http.build_request(
                "POST",
                self._url("bulk", _seg(object_name)),
                params={"path": "/" + name.lstrip("/")},
                files={"file": (name, stream, "text/csv")},
                data=data,
                headers=headers,
            )
            response = send(self.http, request, envelope=envelope)
        return self._job_ref(response)

    def _job_ref(self, response: httpx.Response) -> JobRef:
        body = self._json(response)
        if not isinstance(body, dict) or body.get("id") in (None, ""):
            raise FatalApiError(f"the target accepted a job but gave no id: {str(body)[:200]}")
        job_id = str(body["id"])
        raw = str(body.get("status", body.get("jobStatus", "CREATED")))
        return JobRef(job_id=job_id, state=parse_state(raw, job_id=job_id), raw_status=raw)

    def status(self, job_id: str) -> JobStatus:
        """The job's current status (``GET /bulk/{id}/status``).

        Raises:
            NotFoundError: no such job in this hub.
            ApiError: the call failed otherwise.
        """
        body = self._json(self._get("bulk", _seg(job_id), "status"))
        if not isinstance(body, dict):
            raise FatalApiError(f"status of job {job_id} is not a JSON object")
        return JobStatus.from_body(body, job_id=job_id)

    def wait(
        self,
        job_id: str,
        policy: PollPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        on_status: Callable[[JobStatus], None] | None = None,
    ) -> JobStatus:
        """Poll the job until it is terminal (see ``wait_for_job``).

        Raises:
            JobTimeoutError: the policy's budget ran out first.
            ApiError: a status read failed permanently.
        """
        return wait_for_job(
            lambda: self.status(job_id),
            job_id,
            policy or PollPolicy(),
            clock=clock,
            sleep=sleep or self._sleep,
            on_status=on_status,
        )

    def iter_errors(self, job_id: str, *, page_size: int = 200) -> Iterator[RecordError]:
        """Every per-record error of the job, following the pages to the last one.

        Raises:
            ApiError: a page could not be read.
        """
        token: str | None = None
        while True:
            params: dict[str, Any] = {"pageSize": page_size}
            if token:
                params["nextPage"] = token
            response = self._get("bulk", _seg(job_id), "errors", params=params)
            body = self._json(response)
            if not isinstance(body, list):
                raise FatalApiError(f"errors of job {job_id} are not a JSON array")
            for element in body:
                yield record_error(element if isinstance(element, dict) else {})
            token = response.headers.get(NEXT_PAGE_HEADER) or None
            if not token or not body:
                return

    def iter_jobs(self, where: str | None = None, *, page_size: int = 200) -> Iterator[ListedJob]:
        """The hub's bulk jobs (``GET /bulk/jobs``), page after page, as the platform orders them
        (newest first); stop iterating to stop paging.

        Raises:
            ApiError: a page could not be read.
        """
        token: str | None = None
        while True:
            params: dict[str, Any] = {"pageSize": page_size}
            if where:
                params["where"] = where
            if token:
                params["nextPage"] = token
            sent = time.time()
            response = self._get("bulk", "jobs", params=params)
            self.clock = ClockOffset.of(response, sent, time.time()) or self.clock
            body = self._json(response)
            if isinstance(body, dict):  # the platform's description types it as one object
                body = [body] if body.get("id") is not None else []
            if not isinstance(body, list):
                raise FatalApiError("the job listing is not a JSON array")
            for element in body:
                if isinstance(element, dict) and element.get("id") is not None:
                    yield ListedJob.from_element(element)
            token = response.headers.get(NEXT_PAGE_HEADER) or None
            if not token or not body:
                return

    def errors(self, job_id: str, *, page_size: int = 200) -> list[RecordError]:
        """All per-record errors of the job as a list (see ``iter_errors``)."""
        return list(self.iter_errors(job_id, page_size=page_size))

    def cancel(self, job_id: str) -> JobStatus:
        """Cancel the job (``PUT /bulk/{id}/cancel``); its status becomes ``CANCELLED``.

        Raises:
            FatalApiError: the job had already ended (409) or cannot be cancelled.
            ApiError: the call failed otherwise.
        """
        url = self._url("bulk", _seg(job_id), "cancel")
        response = send_with_retries(
            self.http,
            lambda: self.http.build_request("PUT", url),
            self._retry,
            self._sleep,
            envelope=envelope,
        )
        body = self._json(response) if response.content else {}
        return JobStatus.from_body(body if isinstance(body, dict) else {}, job_id=job_id)

    # -- query (download) jobs -----------------------------------------------------------------

    def create_query(self, query: str) -> JobRef:
        """Create a bulk query job (``POST /bulk/query?q=...``), e.g. ``select * from Contact``.
        Retried like a read: a second query job changes nothing.

        Raises:
            ApiError: the target refused the query, or it still failed after the retries.
        """
        url = self._url("bulk", "query")
        response = send_with_retries(
            self.http,
            lambda: self.http.build_request("POST", url, params={"q": query}),
            self._retry,
            self._sleep,
            envelope=envelope,
        )
        return self._job_ref(response)

    def download(
        self,
        job_id: str,
        object_name: str,
        dest: IO[bytes],
        *,
        fmt: Literal["csv", "jsonl"] = "csv",
    ) -> int:
        """Stream a finished query job's records into ``dest`` as CSV or JSON lines.

        Returns the number of bytes written.

        Raises:
            FatalApiError: the job is not finished (409) or not a query of that object.
            ApiError: the call failed otherwise.
        """
        accept = "text/csv" if fmt == "csv" else "application/json"
        url = self._url("bulk", _seg(job_id), _seg(object_name))
        response = send_with_retries(
            self.http,
            lambda: self.http.build_request("GET", url, headers={"Accept": accept}),
            self._retry,
            self._sleep,
            stream=True,
            envelope=envelope,
        )
        written = 0
        for chunk in iter_body(response, _CHUNK):
            dest.write(chunk)
            written += len(chunk)
        return written

    def query_records(
        self, query: str, object_name: str, policy: PollPolicy | None = None
    ) -> list[dict[str, Any]]:
        """Run a query to completion and return its records (small results only: tests, checks).

        Raises:
            JobTimeoutError: the query did not finish within the policy's budget.
            FatalApiError: the query job ended without completing.
            ApiError: a call failed.
        """
        job = self.create_query(query)
        final = self.wait(job.job_id, policy)
        if not final.succeeded:
            raise FatalApiError(f"query job {job.job_id} ended {final.raw_status}: {final.message}")
        buffer = io.BytesIO()
        self.download(job.job_id, object_name, buffer, fmt="jsonl")
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
