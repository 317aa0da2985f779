"""In-process progress events, so a terminal can draw a bar while a load runs (no-op otherwise)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ProgressEvent:
    """``stage`` moved to ``done`` of ``total`` (rows while preparing, chunks while loading);
    ``start`` names the run that began."""

    stage: Literal["start", "prepare", "jobs"]
    done: int
    total: int | None = None
    run_id: str | None = None


Listener = Callable[[ProgressEvent], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call ``listener`` on every event until the returned function is called."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def publish(event: ProgressEvent) -> None:
    """Tell the listeners, if any; a failing listener never breaks a load."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        with contextlib.suppress(Exception):  # a progress bar must never stop a load
            listener(event)
