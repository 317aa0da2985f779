"""Stopping a load cleanly (Ctrl+C, SIGTERM): one process-wide flag, set by the signal, that
every waiting step watches, so that no thread keeps polling after its run stopped.

Nothing is lost by stopping: a chunk not yet sent stays ``staged`` in the ledger, a chunk sent
stays ``submitted`` with its job id, and ``hubload resume`` takes the run up from there.
"""

from __future__ import annotations

import threading

from hubload.errors import StopRequestedError

_STOP = threading.Event()


def request_stop() -> None:
    """Ask every step of this process to stop at its next wait."""
    _STOP.set()


def stop_requested() -> bool:
    """Whether a stop was asked for."""
    return _STOP.is_set()


def reset() -> None:
    """Forget a stop (a new load in the same process, a test)."""
    _STOP.clear()


def sleep(seconds: float) -> None:
    """Wait ``seconds``, or less when a stop is asked for.

    Raises:
        StopRequestedError: a stop was asked for, before or while waiting.
    """
    if _STOP.wait(max(0.0, seconds)):
        raise StopRequestedError("stopped on request")


def check() -> None:
    """Raise if a stop was asked for (a step between two pieces of work).

    Raises:
        StopRequestedError: a stop was asked for.
    """
    if _STOP.is_set():
        raise StopRequestedError("stopped on request")
