"""Bulk API 2.0 ingest jobs: create, upload the CSV, close, abort, read; and their result files."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hubload.errors import FatalApiError
from hubload.http import json_body
from hubload.jobs import JobStatus
from hubload.operations import Operation
from hubload.records import RecordError, RecordSuccess
from hubload.targets.salesforce.api import CSV_TYPE, SalesforceApi

INGEST = "jobs/ingest"
# Results are read under the spellings Salesforce documents (lower-case r for unprocessed).
RESULTS = {
    "successful": "successfulResults/",
    "failed": "failedResults/",
    "unprocessed": "unprocessedrecords/",
}
UNPROCESSED = "UNPROCESSED"
ABORTED = "Aborted"
OPEN = "Open"
UPLOAD_COMPLETE = "UploadComplete"


def job_status(body: Any, job_id: str) -> JobStatus:
    """A job info body as the core's status.

    Raises:
        FatalApiError: the body is not a job info object.
    """
    if not isinstance(body, dict) or not body.get("state"):
        raise FatalApiError(f"job {job_id}: the answer is not a Bulk API 2.0 job info")
    return JobStatus.from_body(body, job_id=job_id)


class Ingest:
    """The ingest calls of one org."""

    def __init__(self, api: SalesforceApi) -> None:
        self.api = api

    def create(self, object_name: str, operation: Operation) -> JobStatus:
        """Create an Open job (sent once: a lost answer may leave an Open job, which never
        processes anything since no data reach it).

        Raises:
            ApiError: refused or failed.
        """
        body: dict[str, Any] = {
            "object": object_name,
            "operation": operation.kind.value,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        if operation.external_id is not None:
            body["externalIdFieldName"] = operation.external_id
        answer = json_body(self.api.call("POST", INGEST, json=body, retry=False))
        job_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not job_id:
            raise FatalApiError("Salesforce created an ingest job but gave no id")
        return job_status(answer, job_id)

    def upload(self, job_id: str, path: Path) -> None:
        """PUT the CSV file (streamed from disk) into the Open job.

        Raises:
            ApiError: refused or failed (sent once: the caller aborts the job and starts over).
        """
        self.api.call(
            "PUT",
            f"{INGEST}/{job_id}/batches",
            headers={"Content-Type": CSV_TYPE},
            content=lambda: path.open("rb"),
            retry=False,
        )

    def set_state(self, job_id: str, state: str) -> JobStatus:
        """PATCH the job to ``UploadComplete`` or ``Aborted``.

        Raises:
            ApiError: refused (e.g. ``INVALIDJOBSTATE``) or failed.
        """
        answer = self.api.call("PATCH", f"{INGEST}/{job_id}", json={"state": state}, retry=False)
        return job_status(json_body(answer), job_id)

    def info(self, job_id: str) -> JobStatus:
        """The job's status.

        Raises:
            NotFoundError: no such job.
            ApiError: the call failed otherwise.
        """
        return job_status(json_body(self.api.call("GET", f"{INGEST}/{job_id}")), job_id)

    def successes(self, job_id: str) -> Iterator[RecordSuccess]:
        """The job's successful rows: ``sf__Id``, ``sf__Created`` and the row as uploaded.

        Raises:
            ApiError: the results could not be read.
        """
        for row in self._rows(job_id, "successful"):
            created = row.pop("sf__Created", "")
            yield RecordSuccess(
                record_id=row.pop("sf__Id", ""),
                created=created.lower() == "true" if created else None,
                record=row,
            )

    def failures(self, final: JobStatus) -> Iterator[RecordError]:
        """The job's failed rows (``sf__Error``), then the rows it never processed (with why
        the job ended: its state and ``errorMessage``, e.g. ``InvalidBatch : Field name not
        found : Foo__c``).

        Raises:
            ApiError: the results could not be read.
        """
        job_id = final.job_id
        for row in self._rows(job_id, "failed"):
            row.pop("sf__Id", None)
            yield RecordError.of(row.pop("sf__Error", "") or "UNKNOWN:no error given", record=row)
        why = f"{UNPROCESSED}:job {job_id} ended {final.raw_status} before processing this row"
        if final.message:
            why += f" ({' '.join(final.message.split())})"
        for row in self._rows(job_id, "unprocessed"):
            yield RecordError.of(why, record=row)

    def _rows(self, job_id: str, kind: str) -> Iterator[dict[str, str]]:
        response = self.api.call(
            "GET", f"{INGEST}/{job_id}/{RESULTS[kind]}", headers={"Accept": "text/csv"}, stream=True
        )
        with self.api.spooled_text(response) as text:
            reader = csv.reader(text)
            header = next(reader, [])
            width = len(header)
            for cells in reader:
                if not cells:
                    continue  # a blank line, skipped as DictReader does
                if len(cells) == width:
                    yield dict(zip(header, cells, strict=True))
                else:  # as DictReader: missing cells empty, extra ones dropped
                    yield dict(zip(header, (cells + [""] * width)[:width], strict=True))
