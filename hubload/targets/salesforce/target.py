"""Salesforce Bulk API 2.0 as a ``Target``: a job is created (and named) before its data are sent,
so a lost answer or a crash is settled by that job's own state."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import httpx

from hubload.errors import ApiError, ConfigError, FatalApiError, RetriableError
from hubload.http import RetryPolicy, json_body
from hubload.jobs import JobRef, JobState, JobStatus, PollPolicy
from hubload.operations import Operation, OperationKind
from hubload.records import RecordError, RecordSuccess
from hubload.targets.base import (
    Attempt,
    Capabilities,
    Settlement,
    TargetIdentity,
    Upload,
    Verdict,
)
from hubload.targets.keys import KeyCount
from hubload.targets.salesforce.api import SalesforceApi
from hubload.targets.salesforce.config import SalesforceConfig
from hubload.targets.salesforce.describe import object_from_describe, object_names
from hubload.targets.salesforce.ingest import ABORTED, OPEN, UPLOAD_COMPLETE, Ingest
from hubload.targets.salesforce.query import quote, run_query
from schemas.catalog import ObjectSpec

log = logging.getLogger("hubload.targets.salesforce")

CAPABILITIES = Capabilities(
    operations=frozenset(OperationKind),
    success_ids=True,
    # 150 MB after base64 is about 100 MB of CSV; a margin for the encoding's rounding.
    max_upload_bytes=95_000_000,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS_PER_QUERY = 1000  # SOQL takes up to 100,000 characters


class SalesforceTarget:
    """One Salesforce org through its REST API and Bulk API 2.0."""

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
        self.api = SalesforceApi(
            config, timeout=timeout, transport=transport, retry=retry, sleep=sleep
        )
        self.ingest = Ingest(self.api)
        self._sleep = sleep

    @property
    def identity(self) -> TargetIdentity:
        """Salesforce and the org's instance (a login happens first when the URL is not set).

        Raises:
            AuthError, ApiError: the login failed.
        """
        return self.config.identity_for(self.config.instance_url or self.api.instance_url)

    @property
    def capabilities(self) -> Capabilities:
        """Every operation, with a success file of record ids."""
        return CAPABILITIES

    def list_objects(self) -> list[str]:
        """The org's sObjects.

        Raises:
            ApiError: the call failed, or the answer has no list.
        """
        try:
            return object_names(json_body(self.api.call("GET", "sobjects")))
        except ValueError as exc:
            raise FatalApiError(f"the sObject list is unreadable: {exc}") from exc

    def describe(self, object_name: str) -> ObjectSpec:
        """The object's fields from its describe.

        Raises:
            NotFoundError: no such object in the org.
            ApiError: the call failed otherwise, or the describe is unreadable.
        """
        _check_name(object_name)
        body = json_body(self.api.call("GET", f"sobjects/{object_name}/describe"))
        try:
            return object_from_describe(object_name, body)
        except ValueError as exc:
            raise FatalApiError(f"the describe of {object_name!r} is unreadable: {exc}") from exc

    def submit(
        self,
        object_name: str,
        upload: Upload,
        operation: Operation,
        *,
        on_created: Callable[[str], None] | None = None,
    ) -> JobRef:
        """Create the job (``on_created`` hears its id at once), upload the file, close it.

        Never leaves a job that could process this upload twice: a failure while uploading
        aborts the job before the error is raised, and a lost answer to the close is settled by
        reading the job. Every error raised is therefore safe to answer by calling again.

        Raises:
            RetriableError: transient (``outcome_unknown`` is always false).
            ApiError: refused (an operation or field the org does not take...).
        """
        try:
            created = self.ingest.create(object_name, operation)
        except RetriableError as exc:
            # A lost answer leaves at most an Open job with no data, which never processes.
            raise _safe(exc) from exc
        job_id = created.job_id
        try:
            if on_created is not None:
                on_created(job_id)
            self.ingest.upload(job_id, upload.path)
        except RetriableError as exc:
            # The job is still Open (it is closed only below): aborted, none of it processes.
            self._abort_quietly(job_id)
            raise _safe(exc) from exc
        except BaseException:
            # Refused, the job id not recorded, or a stop (Ctrl+C) mid-upload: the job, still
            # Open, is aborted rather than left Open with data in it.
            self._abort_quietly(job_id)
            raise
        closed = self._close(job_id)
        return JobRef(job_id=job_id, state=closed.state, raw_status=closed.raw_status)

    def _close(self, job_id: str) -> JobStatus:
        """Close the job, retrying; the job's own state settles a close whose answer was lost.

        Raises:
            RetriableError: the close still failed: ``outcome_unknown`` unless the job was read
                Open and aborted (then it is safe to submit again).
            ApiError: the close was refused (the job is aborted first when it is still Open).
        """
        try:
            return self.api.retry.run(
                lambda: self._close_once(job_id), self._sleep, label=f"job {job_id}: close: "
            )
        except ApiError as exc:
            try:
                current = self.ingest.info(job_id)
            except ApiError:
                current = None
            if current is not None and current.raw_status == OPEN:
                self._abort_quietly(job_id)
                if isinstance(exc, RetriableError):
                    raise _safe(exc) from exc
                raise
            if current is not None and current.raw_status != ABORTED:
                return current  # it was closed after all
            raise RetriableError(
                f"job {job_id}: the close failed and the job could not be read ({exc})",
                outcome_unknown=True,
            ) from exc

    def _close_once(self, job_id: str) -> JobStatus:
        try:
            return self.ingest.set_state(job_id, UPLOAD_COMPLETE)
        except RetriableError as exc:
            # The close may have landed although its answer did not: the job tells.
            current = self.ingest.info(job_id)
            if current.raw_status != OPEN:
                log.warning(
                    "job %s: the answer to its close was lost (%s); the job is %s: closed",
                    job_id,
                    exc.message,
                    current.raw_status,
                )
                return current
            raise

    def _abort_quietly(self, job_id: str) -> None:
        try:
            self.ingest.set_state(job_id, ABORTED)
        except ApiError as exc:
            # An Open job that could not be aborted still never processes: nothing to undo.
            log.warning("job %s could not be aborted (%s); it stays Open, unprocessed", job_id, exc)

    def status(self, job_id: str) -> JobStatus:
        """The job's state and counts.

        Raises:
            NotFoundError: no such job.
            ApiError: the call failed otherwise.
        """
        return self.ingest.info(job_id)

    def failed_rows(self, status: JobStatus) -> Iterator[RecordError]:
        """``failedResults`` with ``sf__Error``, then ``unprocessedrecords`` (code ``UNPROCESSED``).

        Raises:
            ApiError: the results could not be read.
        """
        return self.ingest.failures(status)

    def successful_rows(self, status: JobStatus) -> Iterator[RecordSuccess]:
        """``successfulResults``: each loaded row with its record id and whether it was created.

        Raises:
            ApiError: the results could not be read.
        """
        return self.ingest.successes(status.job_id)

    def settle(self, object_name: str, attempt: Attempt) -> Settlement:
        """By the job id recorded when the job was created: an Open job never received all its
        data (it is aborted: nothing of it will load); an aborted job that processed nothing
        holds nothing; any other job is the upload's. With no job id recorded, the create's
        answer never came: at most an Open job with no data exists, which never processes.

        Raises:
            ApiError: the job could not be read or aborted.
        """
        if attempt.job_id is None:
            return Settlement(Verdict.ABSENT, why="no job was created for it")
        current = self.ingest.info(attempt.job_id)
        if current.raw_status == OPEN:
            self.ingest.set_state(attempt.job_id, ABORTED)
            return Settlement(Verdict.ABSENT, why=f"job {attempt.job_id} was still Open: aborted")
        if current.state is JobState.ABORTED and not current.records_count:
            return Settlement(
                Verdict.ABSENT, why=f"job {attempt.job_id} was aborted before processing"
            )
        job = JobRef(job_id=current.job_id, state=current.state, raw_status=current.raw_status)
        return Settlement(Verdict.JOB, job=job, why=f"job {attempt.job_id} ({current.raw_status})")

    def stray_jobs(
        self,
        object_name: str,
        windows: Sequence[tuple[float, float | None]],
        known: frozenset[str],
    ) -> list[str]:
        """None: a job's id is recorded before its data are sent (``on_created``), so a job
        hubload never learnt of never received any."""
        return []

    def find_records(self, object_name: str, key: str, values: Sequence[str]) -> Counter[str]:
        """How many records the org holds for each of ``values`` of ``key`` (matched as SOQL
        matches, ignoring case; counted under the values as given), by SOQL query jobs of up to
        1,000 keys.

        Raises:
            ConfigError: the key or object is not a plain name.
            ApiError, JobTimeoutError: a query failed.
        """
        _check_name(object_name)
        _check_name(key)
        count = KeyCount(values)  # SOQL compares strings ignoring case
        policy = PollPolicy(budget=300)
        for batch in count.batches(_KEYS_PER_QUERY):
            listed = ", ".join(quote(v) for v in batch)
            soql = f"SELECT {key} FROM {object_name} WHERE {key} IN ({listed})"  # noqa: S608
            count.add(r.get(key) for r in run_query(self.api, soql, policy, self._sleep))
        return count.found

    def cancel(self, job_id: str) -> None:
        """Abort the job.

        Raises:
            ApiError: the call failed (400 when it had already ended).
        """
        self.ingest.set_state(job_id, ABORTED)

    def __enter__(self) -> SalesforceTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.api.close()


def _safe(exc: RetriableError) -> RetriableError:
    """The same transient failure, marked safe to answer by submitting again."""
    return RetriableError(
        exc.message,
        status_code=exc.status_code,
        code=exc.code,
        method=exc.method,
        url=exc.url,
        retry_after=exc.retry_after,
        outcome_unknown=False,
    )


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"not a Salesforce API name: {name!r}")
