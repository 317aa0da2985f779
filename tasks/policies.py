"""Retry policy shared by the tasks: retry what the core calls retriable, nothing else."""

from __future__ import annotations

from typing import Any

from prefect.tasks import exponential_backoff

from hubload.errors import RetriableError

RETRIES = 3
RETRY_DELAYS = exponential_backoff(backoff_factor=2)
RETRY_JITTER = 0.5


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's ``retry_condition_fn``: retry a ``RetriableError``; a fatal error fails now."""
    try:
        state.result()
    except RetriableError:
        return True
    except Exception:  # noqa: BLE001 - any other failure is permanent: do not retry
        return False
    return False
