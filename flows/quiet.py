"""hubload's own errors in Prefect's run logs: one line, no traceback.

A load that ends with rows rejected or failed ends Failed ("Partially loaded"), and so does a bad
file or a bad mapping. Prefect's engine logs every failed run's error with its traceback
("Engine execution exited with unexpected exception", 20 frames), in the run's logs and in a
worker's or ``hubload serve``'s output, which reads like a crash. For hubload's own errors (the
``HubloadError`` tree) the traceback says nothing the message does not: this filter, on the
loggers of flow and task runs, drops it and logs the message. A partial load is a warning, not
an error (nor a warning: the run's summary says it all). A stop asked for (Ctrl+C) is not called
a crash. Anything unexpected keeps its traceback.
"""

from __future__ import annotations

import logging

from hubload import interrupt
from hubload.errors import HubloadError, PartialLoadError

RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine", "prefect.engine")
_ENGINE_EXIT = "Engine execution exited with unexpected exception"
_CRASH = "Crash detected!"


class ExpectedErrorsInOneLine(logging.Filter):
    """Strips the traceback of hubload's own errors from a log record (keeps the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if interrupt.stop_requested() and str(record.msg).startswith(_CRASH):
            # Prefect calls an interrupt a crash: here it is a stop that was asked for.
            record.msg, record.args = "stopped on request: resume the run to take it up", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            return True
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HubloadError):
            return True
        record.exc_info = None
        record.exc_text = None
        if isinstance(record.msg, str) and record.msg.startswith(_ENGINE_EXIT):
            record.msg, record.args = "%s", (_one_line(error),)
        if isinstance(error, PartialLoadError) and record.levelno > logging.INFO:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _one_line(error: HubloadError) -> str:
    if isinstance(error, PartialLoadError):
        return f"Partially loaded: {error}"
    return f"{type(error).__name__}: {error}"


def install() -> None:
    """Put the filter on Prefect's run loggers (once per process)."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExpectedErrorsInOneLine) for f in logger.filters):
            logger.addFilter(ExpectedErrorsInOneLine())
