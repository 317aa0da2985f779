"""Submitting a staged chunk as one bulk job, retrying only what is safe to send again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from hubload.client import BulkClient, JobRef, RetryPolicy
from hubload.errors import RetriableError, SubmissionUnknownError

if TYPE_CHECKING:
    from hubload.staging import StagedChunk


@dataclass(frozen=True)
class Operation:
    """Insert, or upsert on an external id field; ``serial`` asks the target for serial mode."""

    kind: Literal["insert", "upsert"] = "insert"
    external_id: str | None = None
    serial: bool = False

    def __post_init__(self) -> None:
        if (self.kind == "upsert") != (self.external_id is not None):
            raise ValueError("an upsert needs an external id field, and only an upsert takes one")

    @property
    def resend_is_safe(self) -> bool:
        """Whether sending a chunk twice is harmless (an upsert sets the same values again)."""
        return self.kind == "upsert"

    def metadata(self) -> dict[str, Any]:
        """The upload's ``metaData`` JSON."""
        meta: dict[str, Any] = {}
        if self.external_id is not None:
            meta["identifierFieldName"] = self.external_id
        if self.serial:
            meta["concurrency"] = "serial"
        return meta


def job_path_name(run_id: str, chunk: int) -> str:
    """The ``path`` of a chunk's upload: unique per run and chunk, so the target's files and
    jobs can be traced back to the run."""
    return f"{run_id}-chunk-{chunk:05d}.csv"


def submit_chunk(
    client: BulkClient,
    object_name: str,
    chunk: StagedChunk,
    *,
    run_id: str,
    operation: Operation,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> JobRef:
    """Upload the chunk as a bulk job, retrying transient failures with backoff and jitter,
    after ``Retry-After`` when the target gives it.

    A failure the target answered (429, 5xx) or a connection never made is retried. A lost
    answer (the request may have created the job) is retried only for an upsert.

    Raises:
        SubmissionUnknownError: an insert's answer was lost; it was not sent again.
        RetriableError: still failing after the policy's last attempt.
        ApiError: the target refused the upload (auth, bad request): not retried.
    """
    policy = policy or RetryPolicy(attempts=5, base_delay=1.0)
    name = job_path_name(run_id, chunk.number)

    def unless_unsafe(exc: RetriableError) -> None:
        if exc.outcome_unknown and not operation.resend_is_safe:
            raise SubmissionUnknownError(
                f"chunk {chunk.number} ({name}): the answer to the upload was lost ({exc}); "
                "the target may have created the job, so it was not sent again",
                chunk=chunk.number,
                path_name=name,
            ) from exc

    return policy.run(
        lambda: client.upload(
            object_name, chunk.path, path_name=name, metadata=operation.metadata() or None
        ),
        sleep,
        label=f"chunk {chunk.number}: upload failed: ",
        give_up=unless_unsafe,
    )
