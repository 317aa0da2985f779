"""The ``hubload`` command line: load files, look at the target, run the sandbox."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from cli.environment import prepare_prefect, quiet_expected_tracebacks, target_settings
from cli.render import progress_bar, summary_table
from cli.runs import open_ledger, runs_app_commands, still_running
from hubload.errors import (
    AuthError,
    ConfigError,
    HubloadError,
    InputFileError,
    NotFoundError,
    ReconciliationError,
)
from hubload.plan import check_inputs
from hubload.reports import Summary
from hubload.settings import Settings
from hubload.submission import Operation
from hubload.target import Target
from sandbox.cli import sandbox_command

if TYPE_CHECKING:
    from prefect import State

app = typer.Typer(
    name="hubload",
    help="Load CSV files into a CRM through the Open Connectors bulk API, as Prefect flows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_ROWS, EXIT_USAGE, EXIT_RECONCILE = 0, 1, 2, 3


class OperationChoice(StrEnum):
    """Insert new records, or upsert on an external id field."""

    insert = "insert"
    upsert = "upsert"


HubOption = Annotated[
    str | None, typer.Option("--hub", help="Hub of the object (default: HUBLOAD_HUB or helpdesk)")
]


JsonOption = Annotated[bool, typer.Option("--json", help="Print summary.json instead.")]
VerboseOption = Annotated[bool, typer.Option(help="Show every step's log lines.")]
MatchKeyOption = Annotated[
    str | None,
    typer.Option(help="Field (e.g. Email) to look rows up by when an upload's fate is unknown."),
]


def fail(message: str, code: int) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def exit_code_for(exc: BaseException) -> int:
    """2 for what the user must fix (usage, config, credentials, an unknown object or job, an
    unreadable file), 3 when the counts do not reconcile, 1 otherwise."""
    if isinstance(exc, ConfigError | InputFileError | AuthError | NotFoundError):
        return EXIT_USAGE
    if isinstance(exc, ReconciliationError):
        return EXIT_RECONCILE
    return EXIT_ROWS


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="The CSV file to load.", metavar="FILE")],
    object_name: Annotated[str, typer.Option("--object", help="Target object, e.g. Contact.")],
    hub: HubOption = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file (YAML).")] = None,
    operation: Annotated[OperationChoice, typer.Option()] = OperationChoice.insert,
    external_id: Annotated[
        str | None, typer.Option(help="Field to match on for --operation upsert.")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Rows per bulk job.")
    ] = 50_000,
    concurrency: Annotated[int, typer.Option(min=1, max=16, help="Jobs in flight at once.")] = 4,
    dry_run: Annotated[bool, typer.Option(help="Read, map and validate only.")] = False,
    serial: Annotated[bool, typer.Option(help="Ask the target for serial mode.")] = False,
    delimiter: Annotated[
        str | None, typer.Option(help="Field delimiter (default: detected).")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="File encoding (default: UTF-8).")] = None,
    report_dir: Annotated[
        Path | None, typer.Option(help="Where run folders go (default: ~/.hubload/runs).")
    ] = None,
    match_key: MatchKeyOption = None,
    target_block: Annotated[
        str | None,
        typer.Option(help="A hubload-target block to take the target from (else the environment)."),
    ] = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Load FILE into the target object; every row ends succeeded, rejected or failed.

    Exit status: 0 every row loaded, 1 some rows rejected or failed, 2 usage, configuration or
    unreadable file, 3 the counts did not reconcile.
    """
    # What needs no target is checked before Prefect and the sandbox start: errors come at once.
    try:
        Operation(kind=operation.value, external_id=external_id, serial=serial)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    check_inputs(file, mapping_file=mapping, delimiter=delimiter, encoding=encoding)
    run_flow(
        "load",
        {
            "file": str(file),
            "object_name": object_name,
            "hub": hub or Settings().hub,
            "mapping": str(mapping) if mapping else None,
            "operation": operation.value,
            "external_id": external_id,
            "chunk_size": chunk_size,
            "concurrency": concurrency,
            "dry_run": dry_run,
            "serial": serial,
            "delimiter": delimiter,
            "encoding": encoding,
            "report_dir": str(report_dir) if report_dir else None,
            "match_key": match_key,
            "target_block": target_block,
        },
        as_json=as_json,
        verbose=verbose,
    )


def run_flow(name: str, params: dict[str, Any], *, as_json: bool, verbose: bool) -> None:
    """Run the ``load`` or ``reprocess`` flow here, print its summary, exit with its status."""
    interactive = out.is_terminal and not as_json
    prepare_prefect(console_level=None if verbose or not interactive else "WARNING")
    chosen: Any
    if name == "load":
        from flows.load import load as chosen  # noqa: PLC0415 - Prefect starts only for flows
    else:
        from flows.reprocess import reprocess as chosen  # noqa: PLC0415

    quiet_expected_tracebacks()
    with target_settings(err, block=params.get("target_block")), progress_bar(err, interactive):
        state: State[Any] = chosen(**params, return_state=True)
    from flows.load import outcome_of  # noqa: PLC0415

    result = outcome_of(state)
    if isinstance(result, BaseException):
        raise fail(str(result), exit_code_for(result))
    if result is None and state.is_completed():
        err.print(state.message or "nothing to do")
        raise typer.Exit(EXIT_OK)
    if not isinstance(result, Summary):
        raise fail(
            f"the {name} run ended {state.name} without a summary: {state.message}", EXIT_ROWS
        )
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
    else:
        out.print(summary_table(result))
        if name == "reprocess" and state.message:
            err.print(state.message)
    raise typer.Exit(EXIT_OK if result.all_succeeded else EXIT_ROWS)


@app.command()
def resume(
    run: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or a unique prefix).")],
    match_key: MatchKeyOption = None,
    force: Annotated[
        bool, typer.Option(help="Resume even if the run's process or flow run seems alive.")
    ] = False,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Continue a crashed or failed load where it stopped: sent chunks are polled, not resent.

    Also settles a finished run's chunks whose fate was unknown (give --match-key).
    """
    book = open_ledger()
    record = book.run(run)
    if record is None:
        raise fail(f"no run {run!r} in the ledger", EXIT_USAGE)
    undecided = [r for r in book.rows(record.run_id) if r.outcome == "unknown"]
    alive = None if force else still_running(record)
    if alive:
        raise fail(
            f"run {record.run_id} {alive}: resume it once it has stopped (or --force)", EXIT_USAGE
        )
    if record.status == "completed" or (record.status == "partial" and not undecided):
        raise fail(
            f"run {record.run_id} ended {record.status}: nothing to resume (hubload reprocess "
            "loads its left-over rows)",
            EXIT_USAGE,
        )
    params = record.load_parameters()
    if match_key:
        params["match_key"] = match_key
    run_flow("load", params, as_json=as_json, verbose=verbose)


class OnlyChoice(StrEnum):
    """Which left-over rows to load again."""

    all = "all"
    transient = "transient"
    failed = "failed"
    rejected = "rejected"


@app.command()
def reprocess(
    run: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or a unique prefix).")],
    rejected: Annotated[
        Path | None, typer.Option(help="The run's rejected.csv with rows corrected.")
    ] = None,
    only: Annotated[OnlyChoice, typer.Option(help="Which rows to load again.")] = OnlyChoice.all,
    serial: Annotated[bool, typer.Option(help="Ask the target for serial mode.")] = False,
    match_key: MatchKeyOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Load again the rows RUN left over: failed at the target, and corrected rejected rows."""
    if rejected is not None and not rejected.exists():
        raise fail(f"{rejected}: no such file", EXIT_USAGE)
    run_flow(
        "reprocess",
        {
            "run": run,
            "rejected_file": str(rejected.resolve()) if rejected else None,
            "only": only.value,
            "serial": serial,
            "match_key": match_key,
        },
        as_json=as_json,
        verbose=verbose,
    )


@app.command()
def objects(hub: HubOption = None) -> None:
    """List the hub's objects."""
    with target_settings(err) as settings, _client(settings, hub) as client:
        for name in client.list_objects():
            out.print(name)


@app.command()
def describe(
    object_name: Annotated[str, typer.Argument(metavar="OBJECT")], hub: HubOption = None
) -> None:
    """Show an object's fields: type, length, required, read-only, picklist values."""
    from rich.table import Table  # noqa: PLC0415

    with target_settings(err) as settings, _client(settings, hub) as client:
        spec = client.describe(object_name)
    table = Table(title=f"{client.hub}/{spec.name}")
    for column in ("field", "type", "length", "required", "writable", "values"):
        table.add_column(column)
    for f in spec.fields.values():
        table.add_row(
            f.name,
            f.native_type,
            str(f.length or ""),
            "yes" if f.required else "",
            "" if f.read_only or not f.createable else "yes",
            ", ".join(f.picklist[:6]) + (" ..." if len(f.picklist) > 6 else ""),
        )
    out.print(table)


@app.command()
def status(job_id: Annotated[str, typer.Argument(metavar="JOB_ID")], hub: HubOption = None) -> None:
    """Show a bulk job's status and counts."""
    with target_settings(err) as settings, _client(settings, hub) as client:
        current = client.status(job_id)
    out.print(
        f"job {current.job_id}: {current.raw_status} - records {current.records_count}, "
        f"failed {current.failed_count}" + (f" - {current.message}" if current.message else "")
    )


@app.command()
def serve(
    nightly_config: Annotated[
        Path, typer.Option(help="The nightly loads' configuration (inbox, sources, schedule).")
    ] = Path("deployments/nightly.yaml"),
    target_block: Annotated[
        str | None,
        typer.Option(help="hubload-target block with the credentials (default: environment)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Most flow runs at once.")] = None,
) -> None:
    """Serve the load and nightly deployments from this process (Ctrl+C stops; schedules stay)."""
    prepare_prefect()
    from deployments.serve import serve_all  # noqa: PLC0415

    quiet_expected_tracebacks()
    serve_all(nightly_config, target_block, limit=limit)


blocks = typer.Typer(help="Prefect block types of hubload.", no_args_is_help=True)
app.add_typer(blocks, name="blocks")
target_app = typer.Typer(
    help="Saved targets (Prefect blocks holding credentials).", no_args_is_help=True
)
app.add_typer(target_app, name="target")


@blocks.command("register")
def register_blocks() -> None:
    """Register the hubload-target block type with the Prefect API."""
    prepare_prefect()
    from tasks.blocks import OpenConnectorsTarget  # noqa: PLC0415

    OpenConnectorsTarget.register_type_and_schema()
    out.print("registered block type hubload-target")


@target_app.command("save")
def save_target(
    name: Annotated[
        str, typer.Argument(help="Block name, e.g. hubload-target.")
    ] = "hubload-target",
    overwrite: Annotated[bool, typer.Option(help="Replace a block of that name.")] = False,
) -> None:
    """Save the target of the environment (HUBLOAD_BASE_URL and credentials) as a block.

    The secrets are read from the environment (or .env), never from the command line.
    """
    prepare_prefect()
    from hubload.settings import Settings  # noqa: PLC0415
    from tasks.blocks import OpenConnectorsTarget  # noqa: PLC0415

    settings = Settings()
    target = Target.from_settings(settings)
    block = OpenConnectorsTarget(
        base_url=target.base_url,
        user_secret=target.credentials.user_secret,
        organization_secret=target.credentials.organization_secret,
        element_token=target.credentials.element_token,
    )
    block.save(name, overwrite=overwrite)
    out.print(f"saved target {name} ({target.base_url})")


def _client(settings: Any, hub: str | None) -> Any:
    return Target.from_settings(settings, hub).connect(settings)


app.command("sandbox")(sandbox_command)
runs_app_commands(app)


def main() -> None:
    """Entry point of the ``hubload`` console script: every error becomes one line."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # typer's own click: usage errors and bad parameters
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc}")
        sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)))
    except HubloadError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exit_code_for(exc))
    except ValidationError as exc:  # a HUBLOAD_* setting of the wrong shape
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        err.print(f"[red]error:[/red] setting {where}: {first['msg']}", highlight=False)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
