"""Bulk API 2.0 jobs as Salesforce shows them: their ids, states and job info bodies.

The sandbox stores every job alike; a Salesforce job's id is the 18-character `750` id made
from its number, and its status reads as Salesforce's state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from sandbox.context import SandboxContext
from sandbox.ids import salesforce_ids, salesforce_seq
from sandbox.jobs import Face, Job, JobKind, JobStatus, Operation, salesforce_timestamp
from sandbox.sf.api import not_found
from sandbox.sf.tokens import USER_ID

JOB_PREFIX = "750"
STATES = {
    JobStatus.OPEN: "Open",
    JobStatus.CREATED: "UploadComplete",
    JobStatus.RUNNING: "InProgress",
    JobStatus.COMPLETED: "JobComplete",
    JobStatus.ERROR: "Failed",
    JobStatus.CANCELLED: "Aborted",
}
DELIMITERS = {
    "BACKQUOTE": "`",
    "CARET": "^",
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
ABORTED_MESSAGE = "The job was aborted by the user"


def sf_job_id(job: Job) -> str:
    """The job's Salesforce id (`750...`)."""
    return salesforce_ids(JOB_PREFIX, job.id, 1)[0]


def delimiter_name(char: str) -> str:
    """`COMMA` for `,` and so on."""
    return next((name for name, value in DELIMITERS.items() if value == char), "COMMA")


async def sf_job_or_404(ctx: SandboxContext, raw_id: str, kind: JobKind) -> Job:
    """The Salesforce job `raw_id` (15 or 18 characters) of this kind (upload = ingest).

    Raises:
        ApiError: 404 NOT_FOUND for any other id.
    """
    number = salesforce_seq(raw_id, JOB_PREFIX)
    job = await run_in_threadpool(ctx.store.job, number) if number is not None else None
    if job is None or job.face is not Face.SALESFORCE or job.kind != kind:
        raise not_found()
    return job


def _stamp(ms: int | None, fallback: str) -> str:
    if ms is None:
        return fallback
    return salesforce_timestamp(datetime.fromtimestamp(ms / 1000, UTC))


def job_info(job: Job) -> dict[str, Any]:
    """The job info body (create, get, patch, and the job lists' records)."""
    state = STATES[job.status]
    ingest = job.kind == "upload"
    info: dict[str, Any] = {
        "id": sf_job_id(job),
        "operation": job.operation.value,
        "object": job.object_name,
        "createdById": USER_ID,
        "createdDate": job.created_date,
        "systemModstamp": _stamp(job.finished_ms, job.created_date),
        "state": state,
    }
    if job.operation is Operation.UPSERT:
        info["externalIdFieldName"] = job.identifier
    info |= {
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": float(job.api_version or "0"),
        "jobType": "V2Ingest" if ingest else "V2Query",
        "lineEnding": job.line_ending,
        "columnDelimiter": delimiter_name(job.delimiter),
    }
    if ingest and job.status is JobStatus.OPEN:
        info["contentUrl"] = f"services/data/v{job.api_version}/jobs/ingest/{info['id']}/batches"
    elapsed = (job.finished_ms - job.created_ms) if job.finished_ms is not None else 0
    info |= {
        "numberRecordsProcessed": job.records_count,
        "retries": 0,
        "totalProcessingTime": max(0, elapsed),
    }
    if ingest:
        info |= {
            "numberRecordsFailed": job.failed_count,
            "apiActiveProcessingTime": max(0, elapsed),
            "apexProcessingTime": 0,
        }
    if job.status is JobStatus.ERROR:
        info["errorMessage"] = job.status_message or "InternalServerError : the job failed"
    elif job.status is JobStatus.CANCELLED:
        info["errorMessage"] = job.status_message or ABORTED_MESSAGE
    return info
