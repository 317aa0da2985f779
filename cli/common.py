"""What the hubload commands share: the consoles, exit codes, common options, and running a
flow here with its summary printed."""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cli.environment import prepare_prefect, target_settings
from cli.render import progress_bar, summary_table
from hubload import interrupt, progress
from hubload.errors import (
    AuthError,
    ConfigError,
    InputFileError,
    NotFoundError,
    ReconciliationError,
)
from hubload.summary import Summary
from hubload.targets import TargetKind

if TYPE_CHECKING:
    from prefect import State

out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_ROWS, EXIT_USAGE, EXIT_RECONCILE = 0, 1, 2, 3

JsonOption = Annotated[bool, typer.Option("--json", help="Print summary.json instead.")]
VerboseOption = Annotated[bool, typer.Option(help="Show every step's log lines.")]
MatchKeyOption = Annotated[
    str | None,
    typer.Option(help="Field (e.g. Email) to look rows up by when an upload's fate is unknown."),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        help="Take the run up even if its process or flow run seems alive, or the target "
        "configured now is not the one it loaded into."
    ),
]


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Ctrl+C and SIGTERM stop the load: every waiting step is told, then the main thread
    unwinds (KeyboardInterrupt); the signals' handlers are put back after."""

    def stop(signum: int, frame: FrameType | None) -> None:
        interrupt.request_stop()
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def runs_started(found: list[str]) -> Iterator[None]:
    """Collect the ids of the runs that start while the block runs (to name them if stopped)."""

    def on_event(event: progress.ProgressEvent) -> None:
        if event.stage == "start" and event.run_id:
            found.append(event.run_id)

    unsubscribe = progress.subscribe(on_event)
    try:
        yield
    finally:
        unsubscribe()


def preflight(params: dict[str, Any]) -> None:
    """The load's checks before any flow run: target, object, operation, mapping, file, and a
    second insert of the same content.

    Raises:
        ConfigError, InputFileError, ApiError: what the flow would fail on at once.
    """
    from hubload.ledger import Ledger, file_sha256  # noqa: PLC0415 - SQLAlchemy, loads only
    from hubload.options import LoadRequest  # noqa: PLC0415
    from hubload.preflight import describe, plan_request, refuse_a_second_load  # noqa: PLC0415
    from hubload.settings import Settings  # noqa: PLC0415
    from hubload.targets import open_target  # noqa: PLC0415
    from tasks.blocks import resolve_target  # noqa: PLC0415

    request = LoadRequest.of(**params)
    config = resolve_target(request.target, request.hub, request.target_block)
    target = open_target(config, timeout=Settings().timeout())
    if params.get("run_id") and not params.get("force"):
        # A run taken up again loads into its own target: refused here, before any flow run.
        with Ledger.from_settings() as book:
            earlier = book.run(params["run_id"], exact=True)
        if earlier is not None:
            earlier.check_target(target.identity, force=False)
    plan = plan_request(target, request, describe(target, request.object_name))
    if request.dry_run or params.get("force") or params.get("run_id") or params.get("parent_run"):
        return
    with Ledger.from_settings() as book:
        refuse_a_second_load(book, file_sha256(plan.file), target.identity, plan)


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


def _flow_call(name: str, params: dict[str, Any]) -> Callable[[], Any]:
    """The flow run to make: a load of a typed request, or a reprocess."""
    if name == "load":
        from flows.load import load_request  # noqa: PLC0415 - Prefect starts only for flows
        from hubload.options import LoadRequest  # noqa: PLC0415

        request = LoadRequest.of(**params)
        return lambda: load_request(
            request,
            run_id=params.get("run_id"),
            parent_run=params.get("parent_run"),
            force=bool(params.get("force")),
            return_state=True,
        )
    from flows.reprocess import reprocess  # noqa: PLC0415

    return lambda: reprocess(**params, return_state=True)


def run_flow(name: str, params: dict[str, Any], *, as_json: bool, verbose: bool) -> None:
    """Run the ``load`` or ``reprocess`` flow here, print its summary, exit with its status.
    A load is checked first (``preflight``): a mistake is one line, and no failed flow run."""
    interactive = out.is_terminal and not as_json
    prepare_prefect(console_level=None if verbose else "WARNING")
    run = _flow_call(name, params)
    kind = TargetKind(params["target"]) if params.get("target") else None
    started: list[str] = []
    with target_settings(err, kind=kind, block=params.get("target_block")):
        if name == "load":
            preflight(params)
        from flows.load import STOP_SIGNALS  # noqa: PLC0415

        try:
            with stop_on_signals(), progress_bar(err, interactive), runs_started(started):
                state: State[Any] = run()
        except STOP_SIGNALS:
            where = f"run {started[-1]}" if started else "the run"
            resume = f"; take it up with: hubload resume {started[-1]}" if started else ""
            raise fail(f"interrupted: {where} stopped, nothing lost{resume}", 130) from None
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
