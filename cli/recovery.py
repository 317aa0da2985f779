"""``hubload resume`` and ``hubload reprocess``: finishing what a run left."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    EXIT_USAGE,
    ForceOption,
    JsonOption,
    MatchKeyOption,
    VerboseOption,
    fail,
    run_flow,
)
from cli.runs import open_ledger, still_running
from hubload.ledger import RowOutcome, RunStatus


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


def reprocess(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id or Prefect flow-run id (or a prefix).")
    ],
    rejected: Annotated[
        Path | None, typer.Option(help="The run's rejected.csv with rows corrected.")
    ] = None,
    failed: Annotated[
        Path | None,
        typer.Option(help="The run's failed.csv with rows corrected (the target refused them)."),
    ] = None,
    only: Annotated[OnlyChoice, typer.Option(help="Which rows to load again.")] = OnlyChoice.all,
    serial: Annotated[bool, typer.Option(help="Ask the target for serial mode.")] = False,
    match_key: MatchKeyOption = None,
    force: ForceOption = False,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Load again the rows RUN left over: failed at the target (as they were, or corrected in
    its failed.csv), and corrected rejected rows; each validated again."""
    for given in (rejected, failed):
        if given is not None and not given.is_file():
            raise fail(f"{given}: no such file", EXIT_USAGE)
    run_flow(
        "reprocess",
        {
            "run": run,
            "rejected_file": str(rejected.resolve()) if rejected else None,
            "failed_file": str(failed.resolve()) if failed else None,
            "only": only.value,
            "serial": serial,
            "match_key": match_key,
            "force": force,
        },
        as_json=as_json,
        verbose=verbose,
    )
