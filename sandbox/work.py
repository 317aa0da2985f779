"""What a job asks of the workers, per face: how its file is read, its query parsed, and how a
failure is worded (Open Connectors' `statusMessage`, Salesforce's `errorMessage`)."""

from __future__ import annotations

from pathlib import Path

from sandbox.ceql import Query, parse_query
from sandbox.exceptions import UnprocessableFileError
from sandbox.jobs import Face, Job, Operation
from sandbox.processor import FileOptions
from sandbox.removals import Removal
from sandbox.sf.soql import parse_soql

JOB_ERROR_MESSAGE = "The vendor failed to process the job (simulated: sandbox job_error_rate)."
SF_JOB_ERROR_MESSAGE = (
    "InternalServerError : The job failed to process (simulated: sandbox job_error_rate)"
)
NO_DATA_MESSAGE = "InvalidBatch : The job was closed without data: upload a CSV file first"
_SNIFF_BYTES = 64 * 1024


def upload_plan(job: Job) -> tuple[str | None, FileOptions]:
    """The identifier field (upsert or update) and the file options of an upload job."""
    salesforce = job.face is Face.SALESFORCE
    identifier = job.identifier
    if job.operation is Operation.UPDATE:
        identifier = "Id"
    removal: Removal | None = None
    if job.operation is Operation.DELETE:
        removal = "delete"
    elif job.operation is Operation.HARD_DELETE:
        removal = "hardDelete"
    options = FileOptions(delimiter=job.delimiter, removal=removal, track_successes=salesforce)
    return identifier, options


def job_query(job: Job) -> Query:
    """The query of a query job, in its face's language.

    Raises:
        QueryError: the text is not in the face's subset.
    """
    if job.face is Face.SALESFORCE:
        return parse_soql(job.query or "", include_deleted=job.operation is Operation.QUERY_ALL)
    return parse_query(job.hub, job.query or "")


def failure_message(job: Job, exc: UnprocessableFileError) -> str:
    """How the job's face words a file it could not process."""
    if job.face is not Face.SALESFORCE:
        return str(exc)
    if exc.unknown_field is not None:
        return f"InvalidBatch : Field name not found : {exc.unknown_field}"
    return f"InvalidBatch : {exc}"


def simulated_failure(job: Job) -> str:
    """The message of a job the `job_error_rate` fault fails."""
    return SF_JOB_ERROR_MESSAGE if job.face is Face.SALESFORCE else JOB_ERROR_MESSAGE


def line_ending_error(job: Job, path: Path) -> str | None:
    """Salesforce's ClientInputError when the file's first line does not end as the job said
    (`lineEnding`); None when it does, or for an Open Connectors job.

    Raises:
        OSError: the file cannot be read.
    """
    if job.face is not Face.SALESFORCE:
        return None
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    end = head.find(b"\n")
    crlf = end > 0 and head[end - 1 : end] == b"\r"
    if end < 0 or crlf == (job.line_ending == "CRLF"):
        return None
    return (
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is "
        f"{job.line_ending}"
    )
