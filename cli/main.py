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

from cli import targets as runner_targets
from cli.environment import prepare_prefect, quiet_expected_tracebacks, target_settings
from cli.mapping_commands import import_dataloader, mapping_app
from cli.render import progress_bar, summary_table
from cli.runs import open_ledger, runs_app_commands, still_running
from cli.targets import HubOption, TargetOption
from hubload.errors import (
    AuthError,
    ConfigError,
    HubloadError,
    InputFileError,
    NotFoundError,
    ReconciliationError,
)
from hubload.ledger import RowOutcome, RunStatus
from hubload.options import LoadRequest
from hubload.plan import check_inputs
from hubload.summary import Summary
from hubload.targets import TargetKind
from sandbox.cli import sandbox_command

if TYPE_CHECKING:
    from prefect import State

app = typer.Typer(
    name="hubload",
    help="Load CSV files into a CRM through its bulk API (Salesforce Bulk API 2.0 or SAP Open "
    "Connectors), as Prefect flows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_ROWS, EXIT_USAGE, EXIT_RECONCILE = 0, 1, 2, 3


class OperationChoice(StrEnum):
    """Insert new records, upsert on an external id field, update or delete by Id."""

    insert = "insert"
    upsert = "upsert"
    update = "update"
    delete = "delete"
    hardDelete = "hardDelete"  # noqa: N815 - Salesforce's spelling


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
    target: TargetOption = None,
    hub: HubOption = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Mapping file: YAML, or a Data Loader .sdl.")
    ] = None,
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
    request = LoadRequest.of(
        file=str(file),
        object_name=object_name,
        target=target,
        hub=hub or runner_targets.default_hub(),
        mapping=str(mapping) if mapping else None,
        operation=operation.value,
        external_id=external_id,
        chunk_size=chunk_size,
        concurrency=concurrency,
        dry_run=dry_run,
        serial=serial,
        delimiter=delimiter,
        encoding=encoding,
        report_dir=str(report_dir) if report_dir else None,
        match_key=match_key,
        target_block=target_block,
    )
    request.operation_spec()
    mapping_read, _, _ = check_inputs(
        file, mapping_file=mapping, delimiter=delimiter, encoding=encoding
    )
    for note in mapping_read.notes if mapping_read is not None else ():
        err.print(f"[yellow]warning:[/yellow] {note}", highlight=False, soft_wrap=True)
    run_flow("load", request.model_dump(), as_json=as_json, verbose=verbose)


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
    kind = TargetKind(params["target"]) if params.get("target") else None
    with (
        target_settings(err, kind=kind, block=params.get("target_block")),
        progress_bar(err, interactive),
    ):
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


ForceOption = Annotated[
    bool,
    typer.Option(
        help="Take the run up even if its process or flow run seems alive, or the target "
        "configured now is not the one it loaded into."
    ),
]


@app.command()
def resume(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id or Prefect flow-run id (or a prefix).")
    ],
    match_key: MatchKeyOption = None,
    force: ForceOption = False,
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
    undecided = [r for r in book.rows(record.run_id) if r.outcome is RowOutcome.UNKNOWN]
    alive = None if force else still_running(record)
    if alive:
        raise fail(
            f"run {record.run_id} {alive}: resume it once it has stopped (or --force)", EXIT_USAGE
        )
    if record.status is RunStatus.COMPLETED or (
        record.status is RunStatus.PARTIAL and not undecided
    ):
        raise fail(
            f"run {record.run_id} ended {record.status}: nothing to resume (hubload reprocess "
            "loads its left-over rows)",
            EXIT_USAGE,
        )
    request = record.request()
    if match_key:
        request = request.model_copy(update={"match_key": match_key})
    run_flow(
        "load",
        {
            **request.model_dump(),
            "run_id": record.run_id,
            "parent_run": record.parent_run_id,
            "force": force,
        },
        as_json=as_json,
        verbose=verbose,
    )


class OnlyChoice(StrEnum):
    """Which left-over rows to load again."""

    all = "all"
    transient = "transient"
    failed = "failed"
    rejected = "rejected"


@app.command()
def reprocess(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id or Prefect flow-run id (or a prefix).")
    ],
    rejected: Annotated[
        Path | None, typer.Option(help="The run's rejected.csv with rows corrected.")
    ] = None,
    only: Annotated[OnlyChoice, typer.Option(help="Which rows to load again.")] = OnlyChoice.all,
    serial: Annotated[bool, typer.Option(help="Ask the target for serial mode.")] = False,
    match_key: MatchKeyOption = None,
    force: ForceOption = False,
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
            "force": force,
        },
        as_json=as_json,
        verbose=verbose,
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


app.command("sandbox")(sandbox_command)
runner_targets.register(app)
app.add_typer(mapping_app, name="mapping")
app.command("import-dataloader")(import_dataloader)
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
