"""Submitting a staged chunk as one bulk job, retrying only what is safe to send again."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hubload.errors import RetriableError, SubmissionUnknownError
from hubload.http import RetryPolicy
from hubload.jobs import JobRef
from hubload.operations import Operation
from hubload.targets.base import Target, Upload

if TYPE_CHECKING:
    from hubload.staging import StagedChunk

UPLOAD_RETRY = RetryPolicy(attempts=5, base_delay=1.0)


def job_path_name(run_id: str, chunk: int) -> str:
    """The name of a chunk's upload: unique per run and chunk, so the target's files and jobs
    can be traced back to the run."""
    return f"{run_id}-chunk-{chunk:05d}.csv"


def upload_of(chunk: StagedChunk, run_id: str) -> Upload:
    """The chunk as a target sends it."""
    return Upload(path=chunk.path, name=job_path_name(run_id, chunk.number), rows=chunk.rows)


def submit_chunk(
    target: Target,
    object_name: str,
    chunk: StagedChunk,
    *,
    run_id: str,
    operation: Operation,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_created: Callable[[str], None] | None = None,
) -> JobRef:
    """Send the chunk as a bulk job, retrying transient failures with backoff and jitter, after
    ``Retry-After`` when the target gives it.

    A failure the target answered (429, 5xx) or a connection never made is retried. A lost
    answer (the request may have created the job) is retried only when sending the rows twice
    is harmless (an upsert, an update).

    Raises:
        SubmissionUnknownError: the answer was lost and sending again is unsafe: not resent.
        RetriableError: still failing after the policy's last attempt.
        ApiError: the target refused the upload (auth, bad request): not retried.
    """
    upload = upload_of(chunk, run_id)

    def unless_unsafe(exc: RetriableError) -> None:
        if exc.outcome_unknown and not operation.resend_is_safe:
            raise SubmissionUnknownError(
                f"chunk {chunk.number} ({upload.name}): the answer to the upload was lost "
                f"({exc}); the target may have created the job, so it was not sent again",
                chunk=chunk.number,
                path_name=upload.name,
            ) from exc

    return (policy or UPLOAD_RETRY).run(
        lambda: target.submit(object_name, upload, operation, on_created=on_created),
        sleep,
        label=f"chunk {chunk.number}: upload failed: ",
        give_up=unless_unsafe,
    )
