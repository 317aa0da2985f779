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
from cli.environment import prepare_prefect
from cli.runs import open_ledger


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
    from hubload.recovery import check_resumable, find_run  # noqa: PLC0415

    # Before Prefect is imported (tasks.runs): its console shows warnings only.
    prepare_prefect(console_level=None if verbose else "WARNING")
    from tasks.runs import still_running  # noqa: PLC0415 - Prefect, only to resume

    with open_ledger() as book:
        record = find_run(book, run)
        check_resumable(book, record, None if force else still_running(record))
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
            "rejected_file": str(rejected.resolve()) if rejected else "",
            "failed_file": str(failed.resolve()) if failed else "",
            "only": only.value,
            "serial": serial,
            "match_key": match_key or "",
            "force": force,
        },
        as_json=as_json,
        verbose=verbose,
    )
