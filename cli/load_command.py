"""``hubload load``: one file into one object, every row accounted for."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli import targets as runner_targets
from cli.common import JsonOption, MatchKeyOption, VerboseOption, err, run_flow
from cli.targets import HubOption, TargetOption
from hubload.options import LoadRequest
from hubload.plan import check_inputs


class DateChoice(StrEnum):
    """yyyy-MM-dd, MM/dd/yyyy, or dd/MM/yyyy (Data Loader's European dates)."""

    iso = "iso"
    us = "us"
    european = "european"


class OperationChoice(StrEnum):
    """Insert new records, upsert on an external id field, update or delete by Id."""

    insert = "insert"
    upsert = "upsert"
    update = "update"
    delete = "delete"
    hardDelete = "hardDelete"  # noqa: N815 - Salesforce's spelling


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
    heal_rounds: Annotated[
        int,
        typer.Option(
            min=0, max=10, help="Rounds of sending again rows that failed for a passing reason."
        ),
    ] = 3,
    insert_nulls: Annotated[
        bool, typer.Option(help="An empty cell clears the field (update, upsert): sent as #N/A.")
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(help="Time zone of date-times without an offset, e.g. Europe/Paris."),
    ] = None,
    dates: Annotated[
        DateChoice, typer.Option(help="How dates are written in the file.")
    ] = DateChoice.iso,
    truncate: Annotated[
        bool, typer.Option(help="Cut over-long text to the field's length (reported per row).")
    ] = False,
    start_row: Annotated[
        int, typer.Option(min=0, help="Skip this many data rows first (restart part-way).")
    ] = 0,
    force: Annotated[
        bool, typer.Option(help="Insert a file even if its content was loaded there before.")
    ] = False,
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
        heal_rounds=heal_rounds,
        insert_nulls=insert_nulls,
        timezone=timezone,
        dates=dates.value,
        truncate=truncate,
        start_row=start_row,
    )
    request.operation_spec()
    mapping_read, _, _ = check_inputs(
        file, mapping_file=mapping, delimiter=delimiter, encoding=encoding
    )
    for note in mapping_read.notes if mapping_read is not None else ():
        err.print(f"[yellow]warning:[/yellow] {note}", highlight=False, soft_wrap=True)
    run_flow("load", {**request.model_dump(), "force": force}, as_json=as_json, verbose=verbose)
