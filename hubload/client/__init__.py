"""The Open Connectors bulk API client (no Prefect here: usable and testable alone)."""

from hubload.client._http import RetryPolicy
from hubload.client.client import BulkClient, JobRef
from hubload.client.polling import PollPolicy, wait_for_job
from hubload.client.records import RecordError, parse_error_text
from hubload.client.signature import SIGNATURE_HEADER, sign, verify_signature
from hubload.client.status import JobState, JobStatus, parse_state

__all__ = [
    "SIGNATURE_HEADER",
    "BulkClient",
    "JobRef",
    "JobState",
    "JobStatus",
    "PollPolicy",
    "RecordError",
    "RetryPolicy",
    "parse_error_text",
    "parse_state",
    "sign",
    "verify_signature",
    "wait_for_job",
]
