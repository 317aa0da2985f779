"""What the CLI sets up before Prefect is imported; the embedded sandbox when no target is set."""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from hubload.errors import HubloadError
from hubload.settings import Settings

# Prefect reads these when it is first imported: set before importing any flow.
PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # The first ephemeral start on a slow machine runs the database migrations (~20 s).
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # The core's own log lines (retries, unknown statuses) reach the Prefect UI too.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "hubload",
}


def prepare_prefect(*, console_level: str | None = None) -> None:
    """Set Prefect's environment defaults (never overriding the user's own settings)."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if console_level is not None:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", console_level)


class _ExpectedErrorsWithoutTraceback(logging.Formatter):
    """Wraps Prefect's console formatter: hubload's own errors (a bad file, a bad mapping)
    print as one line; anything unexpected keeps its traceback."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self._inner = inner

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and isinstance(record.exc_info[1], HubloadError):
            record = copy.copy(record)
            record.exc_info = None
            record.exc_text = None
        return self._inner.format(record)


def quiet_expected_tracebacks() -> None:
    """Apply the wrapper to the console handlers Prefect installed (call after importing it)."""
    for handler in logging.getLogger().handlers:
        inner = handler.formatter
        if inner is not None and not isinstance(inner, _ExpectedErrorsWithoutTraceback):
            handler.setFormatter(_ExpectedErrorsWithoutTraceback(inner))


@contextmanager
def target_settings(console: Console, *, block: str | None = None) -> Iterator[Settings]:
    """The settings of the configured target; with none (and no target block named), start the
    embedded sandbox, say so, and point the settings (and the environment, for the flow) at it
    until the block ends."""
    settings = Settings()
    if settings.target_configured or block:
        yield settings
        return
    from sandbox.config import SandboxConfig  # noqa: PLC0415 - only when no target is set
    from sandbox.server import start_sandbox  # noqa: PLC0415

    db_path = settings.home / "sandbox" / "sandbox.db"
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox:
        console.print(
            f"[dim]no target configured (HUBLOAD_BASE_URL): using the embedded sandbox at "
            f"{sandbox.base_url}, data in {db_path}[/dim]"
        )
        saved = {k: os.environ.get(k) for k in ("HUBLOAD_BASE_URL", "HUBLOAD_AUTHORIZATION")}
        os.environ["HUBLOAD_BASE_URL"] = sandbox.base_url
        os.environ["HUBLOAD_AUTHORIZATION"] = sandbox.authorization
        try:
            yield Settings()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
