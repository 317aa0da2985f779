"""The Open Connectors bulk API as a ``Target``: one upload makes one job; a lost upload answer is
settled by the platform's job listing."""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from hubload.errors import ConfigError
from hubload.http import RetryPolicy
from hubload.jobs import JobRef, JobStatus, PollPolicy
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
from hubload.targets.open_connectors.client import BulkClient, ListedJob
from hubload.targets.open_connectors.config import OpenConnectorsConfig
from schemas.catalog import ObjectSpec

log = logging.getLogger("hubload.targets.open_connectors")

CAPABILITIES = Capabilities(
    operations=frozenset({OperationKind.INSERT, OperationKind.UPSERT}),
    success_ids=False,
    # The platform hands the file to the vendor; Salesforce's own cap for one job is ~100 MB.
    max_upload_bytes=100_000_000,
    serial_uploads=True,
)
# The platform's clock and ours may differ: jobs created this long before an attempt began are
# still candidates (jobs known to the ledger are excluded whatever their time).
CLOCK_SKEW_SECONDS = 120.0
_MARGIN = 1.0
"""Seconds of slack around a job's time once the platform's clock is placed."""
_QUERY_BATCH = 100
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class OpenConnectorsTarget:
    """One hub of an Open Connectors tenant, reached through one ``BulkClient``."""

    def __init__(
        self,
        config: OpenConnectorsConfig,
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.client = BulkClient.connect(
            config.base_url,
            config.credentials,
            config.hub,
            timeout=timeout,
            transport=transport,
            retry=retry,
        )
        self._sleep = sleep
        self._clock = clock

    @property
    def identity(self) -> TargetIdentity:
        """Open Connectors, the base URL (or the instance's name) and the hub."""
        return self.config.identity

    @property
    def capabilities(self) -> Capabilities:
        """Insert and upsert; no success file; uploads one at a time (see ``settle``)."""
        return CAPABILITIES

    def list_objects(self) -> list[str]:
        """The hub's objects.

        Raises:
            ApiError: the call failed.
        """
        return self.client.list_objects()

    def describe(self, object_name: str) -> ObjectSpec:
        """The object's metadata as the field catalogue.

        Raises:
            NotFoundError: no such object in the hub.
            ApiError: the call failed otherwise.
        """
        return self.client.describe(object_name)

    def submit(
        self,
        object_name: str,
        upload: Upload,
        operation: Operation,
        *,
        on_created: Callable[[str], None] | None = None,
    ) -> JobRef:
        """Upload the file as one job (sent once: the platform names the job only in its
        answer, so ``on_created`` is called after it).

        Raises:
            RetriableError: transient; ``outcome_unknown`` when the job may exist.
            ApiError: the platform refused the upload.
        """
        meta: dict[str, Any] = {}
        if operation.external_id is not None:
            meta["identifierFieldName"] = operation.external_id
        if operation.serial:
            meta["concurrency"] = "serial"
        job = self.client.upload(
            object_name, upload.path, path_name=upload.name, metadata=meta or None
        )
        if on_created is not None:
            on_created(job.job_id)
        return job

    def status(self, job_id: str) -> JobStatus:
        """The job's status (either vocabulary of the platform).

        Raises:
            NotFoundError: no such job.
            ApiError: the call failed otherwise.
        """
        return self.client.status(job_id)

    def wait(self, job_id: str, policy: PollPolicy) -> JobStatus:
        """Poll a job (a query job) to a terminal status.

        Raises:
            JobTimeoutError: not terminal within the policy's budget.
            ApiError: a status read failed permanently.
        """
        return self.client.wait(job_id, policy, sleep=self._sleep)

    def failed_rows(self, status: JobStatus) -> Iterator[RecordError]:
        """The job's per-record errors, all pages (by record number where the platform gives
        one, else by the record's cells).

        Raises:
            ApiError: a page could not be read.
        """
        return self.client.iter_errors(status.job_id, page_size=500)

    def successful_rows(self, status: JobStatus) -> Iterator[RecordSuccess]:
        """Nothing: the platform lists no loaded records with their ids."""
        return iter(())

    def settle(self, object_name: str, attempt: Attempt) -> Settlement:
        """Find the job an upload made from the hub's job listing.

        A load holds its target object alone (the per-object slot) and uploads one chunk at a
        time, so a job on the object created after the attempt began and unknown to the ledger
        is this upload's job. None means the upload never arrived: but a request still in
        flight may make its job late, so an empty listing is trusted only ``quiet_seconds``
        after the attempt began.

        Raises:
            ApiError: the listing could not be read.
        """
        started = attempt.started_at.timestamp() if attempt.started_at else None
        if started is None:
            return Settlement(Verdict.UNKNOWN, why="the attempt's start was not recorded")
        candidates = self._new_jobs(object_name, started, attempt.known_job_ids)
        quiet_until = started + attempt.quiet_seconds
        if not candidates and self._clock() < quiet_until:
            self._sleep(max(0.0, quiet_until - self._clock()))
            candidates = self._new_jobs(object_name, started, attempt.known_job_ids)
        if not candidates:
            return Settlement(Verdict.ABSENT, why="no job was made of it (job listing)")
        if len(candidates) > 1:
            ids = ", ".join(j.job_id for j in candidates[:5])
            return Settlement(
                Verdict.UNKNOWN,
                why=f"{len(candidates)} jobs appeared on {object_name} since it began ({ids})",
            )
        job = candidates[0]
        if job.record_count not in (None, 0, attempt.upload.rows):
            return Settlement(
                Verdict.UNKNOWN,
                why=f"job {job.job_id} appeared but holds {job.record_count} records, "
                f"not {attempt.upload.rows}",
            )
        status = self.client.status(job.job_id)
        found = JobRef(job_id=status.job_id, state=status.state, raw_status=status.raw_status)
        return Settlement(Verdict.JOB, job=found, why=f"job {job.job_id} (job listing)")

    def stray_jobs(
        self,
        object_name: str,
        windows: Sequence[tuple[float, float | None]],
        known: frozenset[str],
    ) -> list[str]:
        """Upload jobs on the object in the hub's job listing, not ``known``, made within one of
        the ``windows`` on this machine's clock (the platform's clock placed against it by the
        listing's ``Date`` header; without one, within the clock skew allowed).

        Raises:
            ApiError: the listing could not be read.
        """
        if not windows:
            return []
        since = min(start for start, _ in windows)
        found = []
        for job in self._new_jobs(object_name, since, known):
            early, late = self._local_time(job)
            if any(
                late >= start - _MARGIN and (end is None or early <= end + _MARGIN)
                for start, end in windows
            ):
                found.append(job.job_id)
        return found

    def _local_time(self, job: ListedJob) -> tuple[float, float]:
        """When the job was made, on this machine's clock: the earliest and latest it can be."""
        if job.created_ms is None:
            return -math.inf, math.inf
        made = job.created_ms / 1000
        clock = self.client.clock
        if clock is None:
            return made - CLOCK_SKEW_SECONDS, made + CLOCK_SKEW_SECONDS
        return made - clock.high, made - clock.low

    def _new_jobs(self, object_name: str, started: float, known: frozenset[str]) -> list[ListedJob]:
        """Upload jobs on the object not ``known`` that may have been made since ``started``
        (this machine's clock)."""
        since_ms = int((started - CLOCK_SKEW_SECONDS) * 1000)
        wanted = object_name.lower()
        found: list[ListedJob] = []
        where = f"object_name='{_quoted(object_name)}' and job_direction='UPLOAD'"
        for job in self.client.iter_jobs(where):
            if job.created_ms is not None and job.created_ms < since_ms:
                break  # newest first: the rest are older still
            if job.job_id in known:
                continue
            if (job.object_name or wanted).lower() != wanted:
                continue
            if job.direction not in (None, "UPLOAD"):
                continue
            found.append(job)
        # The platform's clock is known now (the listing's Date): a job surely made before the
        # start is another load's, whatever skew was allowed while paging.
        return [job for job in found if self._local_time(job)[1] >= started - _MARGIN]

    def find_records(self, object_name: str, key: str, values: Sequence[str]) -> Counter[str]:
        """How many records the hub holds for each of ``values`` of ``key``, by bulk queries
        (CEQL ``in``, a hundred values a query: the query travels in the URL).

        Raises:
            ConfigError: the key or object is not a plain name.
            ApiError, JobTimeoutError: a query failed.
        """
        for name in (key, object_name):
            if not _IDENTIFIER.fullmatch(name):
                raise ConfigError(f"not a field or object name: {name!r}")
        count = KeyCount(values)  # matched ignoring case, as the CRM behind the hub does
        policy = PollPolicy(budget=300)
        for batch in count.batches(_QUERY_BATCH):
            listed = ", ".join(f"'{_quoted(v)}'" for v in batch)
            # CEQL: values are quoted; the names were checked as identifiers.
            query = f"select {key} from {object_name} where {key} in ({listed})"  # noqa: S608
            count.add(r.get(key) for r in self.client.query_records(query, object_name, policy))
        return count.found

    def cancel(self, job_id: str) -> None:
        """Cancel the job.

        Raises:
            ApiError: the call failed (409: it had already ended).
        """
        self.client.cancel(job_id)

    def __enter__(self) -> OpenConnectorsTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def _quoted(value: str) -> str:
    return value.replace("'", "''")
