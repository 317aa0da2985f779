"""Waiting for a bulk job: polls with backoff to an explicit budget, clock and sleep injectable."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from hubload.client.status import JobStatus
from hubload.errors import JobTimeoutError, RetriableError

log = logging.getLogger("hubload.client")


@dataclass(frozen=True)
class PollPolicy:
    """How long to wait for a job and how often to look: intervals grow by ``factor``."""

    budget: float = 600.0
    initial_interval: float = 0.25
    max_interval: float = 10.0
    factor: float = 1.6

    def __post_init__(self) -> None:
        if self.budget <= 0 or self.initial_interval <= 0 or self.factor < 1:
            raise ValueError("budget and initial_interval must be > 0 and factor >= 1")


def wait_for_job(
    fetch: Callable[[], JobStatus],
    job_id: str,
    policy: PollPolicy = PollPolicy(),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_status: Callable[[JobStatus], None] | None = None,
) -> JobStatus:
    """Call ``fetch`` until the job is terminal and return that status.

    A transient failure of one status read (``RetriableError``) does not end the wait: it is
    retried within the same budget, after the server's ``Retry-After`` when it gave one.

    Raises:
        JobTimeoutError: the budget ran out first (``last_status`` says what was seen last).
        ApiError: a status read failed permanently (auth, not found, ...).
    """
    start = clock()
    interval = policy.initial_interval
    last = "not read yet"
    while True:
        try:
            status = fetch()
        except RetriableError as exc:
            log.warning("status of job %s not read (%s); will poll again", job_id, exc)
            pause = exc.retry_after if exc.retry_after is not None else interval
        else:
            last = status.raw_status
            if on_status is not None:
                on_status(status)
            if status.is_terminal:
                return status
            pause = interval
        waited = clock() - start
        remaining = policy.budget - waited
        if remaining <= 0:
            raise JobTimeoutError(job_id, waited=waited, last_status=last)
        sleep(min(pause, remaining))
        interval = min(interval * policy.factor, policy.max_interval)
