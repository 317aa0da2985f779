"""`hubload sandbox` / `python -m sandbox`: run the sandbox in the foreground."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from sandbox.config import DEFAULT_DB_PATH, SandboxConfig
from sandbox.server import start_sandbox

_FAULTS = "Faults (all off by default)"
_OUTPUT = "Output style"
_SECRETS = "Secrets"
_SALESFORCE = "Salesforce face"


def sandbox_command(
    *,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8787,
    db: Annotated[
        Path | None,
        typer.Option(
            help=f"SQLite database; files are kept beside it. (default: {DEFAULT_DB_PATH})"
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Job worker threads. (default: 2)")] = None,
    user_secret: Annotated[str | None, typer.Option(rich_help_panel=_SECRETS)] = None,
    org_secret: Annotated[str | None, typer.Option(rich_help_panel=_SECRETS)] = None,
    element_token: Annotated[str | None, typer.Option(rich_help_panel=_SECRETS)] = None,
    signature_key: Annotated[
        str | None,
        typer.Option(help="Sign callbacks with this key.", rich_help_panel=_SECRETS),
    ] = None,
    salesforce_token: Annotated[
        str | None,
        typer.Option(help="The Salesforce face's static token.", rich_help_panel=_SALESFORCE),
    ] = None,
    oauth_client_id: Annotated[str | None, typer.Option(rich_help_panel=_SALESFORCE)] = None,
    oauth_client_secret: Annotated[str | None, typer.Option(rich_help_panel=_SALESFORCE)] = None,
    refresh_token: Annotated[str | None, typer.Option(rich_help_panel=_SALESFORCE)] = None,
    salesforce_username: Annotated[
        str | None, typer.Option(help="The JWT flow's user.", rich_help_panel=_SALESFORCE)
    ] = None,
    jwt_public_key: Annotated[
        str | None,
        typer.Option(
            help="PEM public key or certificate (text or file) for the JWT bearer flow.",
            rich_help_panel=_SALESFORCE,
        ),
    ] = None,
    token_ttl_seconds: Annotated[
        float | None,
        typer.Option(help="Life of issued tokens. (default: 7200)", rich_help_panel=_SALESFORCE),
    ] = None,
    status_style: Annotated[
        str | None,
        typer.Option(
            help="classic | v3 status bodies. (default: classic)", rich_help_panel=_OUTPUT
        ),
    ] = None,
    complete_spelling: Annotated[
        str | None,
        typer.Option(help="COMPLETED | COMPLETE. (default: COMPLETED)", rich_help_panel=_OUTPUT),
    ] = None,
    max_upload_bytes: Annotated[
        int | None, typer.Option(help="Upload size limit. (default: 150 MiB)")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the fault dice.", rich_help_panel=_FAULTS)
    ] = None,
    error_rate: Annotated[
        float | None,
        typer.Option(help="Share of hub calls failing 500/503.", rich_help_panel=_FAULTS),
    ] = None,
    rate_limit_rate: Annotated[
        float | None, typer.Option(help="Share of hub calls answered 429.", rich_help_panel=_FAULTS)
    ] = None,
    retry_after: Annotated[
        int | None, typer.Option(help="Retry-After seconds of a 429.", rich_help_panel=_FAULTS)
    ] = None,
    latency_ms: Annotated[
        int | None, typer.Option(help="Delay added to every hub call.", rich_help_panel=_FAULTS)
    ] = None,
    lost_response_rate: Annotated[
        float | None,
        typer.Option(help="Share of uploads whose answer is cut off.", rich_help_panel=_FAULTS),
    ] = None,
    job_error_rate: Annotated[
        float | None, typer.Option(help="Share of jobs ending ERROR.", rich_help_panel=_FAULTS)
    ] = None,
    stuck_job_rate: Annotated[
        float | None,
        typer.Option(help="Share of jobs staying RUNNING forever.", rich_help_panel=_FAULTS),
    ] = None,
    lock_error_rate: Annotated[
        float | None,
        typer.Option(help="Share of records failing UNABLE_TO_LOCK_ROW.", rich_help_panel=_FAULTS),
    ] = None,
    processing_delay_ms: Annotated[
        int | None, typer.Option(help="Pause before a job starts.", rich_help_panel=_FAULTS)
    ] = None,
    log_level: Annotated[str, typer.Option(help="Server log level.")] = "info",
) -> None:
    """Run the sandbox (Open Connectors bulk API and Salesforce Bulk API 2.0) until interrupted.

    Options left out fall back to HUBLOAD_SANDBOX_* environment variables, then to defaults.
    """
    given: dict[str, Any] = {
        "db_path": db,
        "workers": workers,
        "user_secret": user_secret,
        "org_secret": org_secret,
        "element_token": element_token,
        "signature_key": signature_key,
        "salesforce_token": salesforce_token,
        "oauth_client_id": oauth_client_id,
        "oauth_client_secret": oauth_client_secret,
        "refresh_token": refresh_token,
        "salesforce_username": salesforce_username,
        "jwt_public_key": jwt_public_key,
        "token_ttl_seconds": token_ttl_seconds,
        "status_style": status_style,
        "complete_spelling": complete_spelling,
        "max_upload_bytes": max_upload_bytes,
        "seed": seed,
        "error_rate": error_rate,
        "rate_limit_rate": rate_limit_rate,
        "retry_after": retry_after,
        "latency_ms": latency_ms,
        "lost_response_rate": lost_response_rate,
        "job_error_rate": job_error_rate,
        "stuck_job_rate": stuck_job_rate,
        "lock_error_rate": lock_error_rate,
        "processing_delay_ms": processing_delay_ms,
    }
    try:
        config = SandboxConfig(
            **{name: value for name, value in given.items() if value is not None}
        )
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with start_sandbox(config, host, port, log_level=log_level.lower(), access_log=True) as sandbox:
        typer.echo(f"hubload sandbox listening on {sandbox.base_url}")
        typer.echo(f"Authorization: {sandbox.authorization}")
        typer.echo(f"Salesforce instance URL: {sandbox.salesforce_instance_url}")
        typer.echo(f"Authorization: Bearer {sandbox.salesforce_token}")
        typer.echo(
            f"OAuth (POST {sandbox.salesforce_instance_url}/services/oauth2/token): "
            f"client id {sandbox.oauth_client_id}, client secret {sandbox.oauth_client_secret}, "
            f"refresh token {sandbox.refresh_token}"
        )
        typer.echo(f"database: {config.resolved_db_path()}")
        typer.echo("press Ctrl+C to stop")
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            typer.echo("stopping")
