"""What the CLI sets up before Prefect is imported; the embedded sandbox when no target is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from hubload.settings import Settings
from hubload.targets import TargetKind, configured_kinds

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


EMBEDDED = "embedded-sandbox"
"""How runs into the embedded sandbox name its instance (its port changes at every start)."""
# Salesforce credentials that would choose another grant than the embedded sandbox's client
# credentials (a username and key make the JWT flow): set aside while it serves.
_OTHER_SF_CREDENTIALS = (
    "HUBLOAD_SF_ACCESS_TOKEN",
    "HUBLOAD_SF_REFRESH_TOKEN",
    "HUBLOAD_SF_USERNAME",
    "HUBLOAD_SF_PRIVATE_KEY",
    "HUBLOAD_SF_PRIVATE_KEY_FILE",
)


def chosen_kind(kind: TargetKind | None) -> TargetKind | None:
    """The target kind asked for: the option, else ``HUBLOAD_TARGET``, else None (whichever is
    configured)."""
    return kind or Settings().target


@contextmanager
def target_settings(
    console: Console, *, kind: TargetKind | None = None, block: str | None = None
) -> Iterator[TargetKind | None]:
    """The target kind to use. With no target of that kind configured (and no block named),
    start the embedded sandbox, say so, and point the environment at the face of the chosen kind
    (Open Connectors by default) until the block ends."""
    chosen = chosen_kind(kind)
    configured = configured_kinds()
    if block or (chosen in configured if chosen else configured):
        yield chosen
        return
    from sandbox.config import SandboxConfig  # noqa: PLC0415 - only when no target is set
    from sandbox.server import start_sandbox  # noqa: PLC0415

    face = chosen or TargetKind.OPEN_CONNECTORS
    db_path = Settings().home_dir() / "sandbox" / "sandbox.db"
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox:
        env: dict[str, str | None] = {"HUBLOAD_TARGET": face.value}
        if face is TargetKind.SALESFORCE:
            env |= dict.fromkeys(_OTHER_SF_CREDENTIALS)
            where = sandbox.salesforce_instance_url
            env |= {
                "HUBLOAD_SF_LOGIN_URL": where,
                "HUBLOAD_SF_INSTANCE_URL": where,
                "HUBLOAD_SF_CLIENT_ID": sandbox.oauth_client_id,
                "HUBLOAD_SF_CLIENT_SECRET": sandbox.oauth_client_secret,
                "HUBLOAD_SF_INSTANCE_NAME": EMBEDDED,
            }
        else:
            where = sandbox.base_url
            env |= {
                "HUBLOAD_BASE_URL": where,
                "HUBLOAD_AUTHORIZATION": sandbox.authorization,
                "HUBLOAD_INSTANCE_NAME": EMBEDDED,
            }
        console.print(
            f"[dim]no {face.value} target configured: using the embedded sandbox at {where}, "
            f"data in {db_path}[/dim]"
        )
        saved = {k: os.environ.get(k) for k in env}
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        try:
            yield face
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
