"""The ``reprocess`` flow: load again the rows a run left over, as a run linked to it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import State, flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from flows.load import PARTIAL, load_request, outcome_of, titled
from hubload.csvfile import CsvSource, detect_dialect
from hubload.errors import ConfigError, PartialLoadError
from hubload.ledger import Ledger, RowOutcome, RunKind, RunRecord, RunStatus
from hubload.leftovers import (
    fixed_rows,
    original_cells,
    report_header,
    report_kind,
    write_input,
)
from hubload.settings import Settings
from hubload.storage import cache_name, fetch_tree, local_copy
from hubload.summary import Summary
from hubload.targets import open_target
from tasks.artifacts import list_reprocess_runs
from tasks.blocks import resolve_target
from tasks.ledger import ledger
from tasks.storage import shared_storage

Only = Literal["all", "transient", "failed", "rejected"]


def reprocess_name() -> str:
    """``reprocess <run>``, the run's name in the UI."""
    return f"reprocess {flow_run.parameters.get('run')}"


@flow(name="reprocess", flow_run_name=reprocess_name, log_prints=False)
def reprocess(
    run: Annotated[str, titled("Run")],
    rejected_file: Annotated[str, titled("Corrected rejected.csv")] = "",
    failed_file: Annotated[str, titled("Corrected failed.csv")] = "",
    only: Annotated[Only, titled("Which rows")] = "all",
    serial: Annotated[bool, titled("Serial mode")] = False,
    target_block: Annotated[str, titled("Target block")] = "",
    match_key: Annotated[str, titled("Match key")] = "",
    force: Annotated[bool, titled("Another target")] = False,
) -> Any:
    """Resubmit the rows of ``run`` that failed at the target (all, or only the transient
    errors such as UNABLE_TO_LOCK_ROW), as the file had them or as corrected in ``failed_file``
    (the run's failed.csv, edited), and the corrected rejected rows of ``rejected_file`` (its
    rejected.csv, edited), each validated again. Rows keep the original file's line numbers in
    every report, down the chain of reprocess runs. The new run is linked to its parent; each row
    it loads resolves the parent's; a row already resolved, or being reprocessed by another run,
    is never sent again. Rows whose fate is unknown are left alone: resume the run instead.
    The rows go to the target the parent loaded into: another configured target is refused
    unless ``force``.

    Args:
        run: The load whose rows to load again: its flow-run id (from its page's URL) or the
            ledger's run id.
        rejected_file: The run's rejected.csv with rows corrected: a path on the worker, or
            its place in the report storage (s3://..., file://...).
        failed_file: The run's failed.csv with rows corrected (rows the target refused).
        only: all: failed rows as they were and corrected ones; failed, transient (record
            locks and other passing errors) or rejected only.
        serial: Ask the target for serial mode (against record locks).
        target_block: A saved hubload target; empty: the one the run used.
        match_key: For rows whose fate is unknown: a field that tells whether they loaded.
        force: Send the rows to the configured target even if the run loaded elsewhere.
    """
    log = get_run_logger()
    book = ledger()
    parent = book.run(run)
    if parent is None:
        raise ConfigError(f"no run {run!r} in the ledger ({book.display_url})")
    if parent.status is RunStatus.RUNNING:
        raise ConfigError(f"run {parent.run_id} has not finished: resume it (hubload resume)")
    request = parent.request()
    block = target_block or request.target_block
    config = resolve_target(request.target, request.hub, block)
    parent.check_target(open_target(config).identity, force=force)
    child = f"{parent.run_id}-r{str(flow_run.id or 'local')[:8]}"
    settings = Settings()
    storage = shared_storage(settings)
    options = storage.options if storage else None
    # The parent's reports and chunks, and the corrected reports, may be in the shared storage.
    parent_dir = fetch_tree(
        parent.run_dir, settings.cache_dir("runs", cache_name(parent.run_dir)), options
    )
    lines, cells = _select(
        book,
        parent,
        parent_dir,
        only,
        local_copy(rejected_file, settings.cache_dir("fixed"), options) if rejected_file else None,
        local_copy(failed_file, settings.cache_dir("fixed"), options) if failed_file else None,
    )
    child_dir = settings.home_dir() / "runs" / child
    child_dir.mkdir(parents=True, exist_ok=True)
    source = child_dir / "input.csv"
    # Registered (running) before claiming: its claims are live from the first moment.
    _register(book, parent, child, source, child_dir)
    claimed = book.claim_rows(parent.run_id, sorted(lines), child) if lines else []
    if not claimed:
        book.drop_run(child)
        held = book.held_elsewhere(parent.run_id)
        message = (
            f"nothing to reprocess in {parent.run_id}: {book.remaining(parent.run_id)} row(s) "
            f"remain, {held} of them taken over by reprocess runs (reprocess those)"
        )
        log.info(message)
        return Completed(message=message)
    write_input(source, _header(parent, parent_dir), [cells[line] for line in claimed])
    with CsvSource(source, detect_dialect(source)) as parsed:
        # Each line of the child's input (where its row starts: a cell may hold a newline)
        # and the line of the original file it is: rows keep those numbers down the chain.
        book.record_lineage(child, zip(parsed.record_lines(), claimed, strict=True))
    log.info("reprocessing %d row(s) of %s as run %s", len(claimed), parent.run_id, child)
    # The child's input is written in UTF-8 with commas; its reports go to its own run folder.
    child_request = request.model_copy(
        update={
            "file": str(source),
            "delimiter": None,
            "encoding": None,
            "start_row": 0,
            "report_dir": None,
            "serial": serial or request.serial,
            "target_block": block,
            "match_key": match_key or request.match_key,
        }
    )
    state: State[Any] = load_request(  # type: ignore[assignment] # a sync flow: its State
        child_request, run_id=child, parent_run=parent.run_id, return_state=True
    )
    summary = outcome_of(state)
    if not isinstance(summary, Summary):
        raise summary if isinstance(summary, BaseException) else RuntimeError(str(summary))
    remaining = book.remaining(parent.run_id)
    list_reprocess_runs(parent, book.children(parent.run_id), remaining)
    message = (
        f"{summary.succeeded} of {len(claimed)} row(s) of {parent.run_id} loaded by {child}; "
        f"{remaining} remain"
    )
    create_markdown_artifact(
        key="reprocess-summary",
        markdown=f"# Reprocess of `{parent.run_id}`\n\n{message}.\n\nParent flow run: "
        f"`{parent.flow_run_id}`; reports of this run: `{child_dir}`.",
    )
    if summary.all_succeeded:
        return Completed(message=message, data=summary)
    return Failed(name=PARTIAL, message=message, data=PartialLoadError(message, summary))


def _select(
    book: Ledger,
    parent: RunRecord,
    parent_dir: Path,
    only: Only,
    fixed_rejected: Path | None,
    fixed_failed: Path | None,
) -> tuple[set[int], dict[int, list[str]]]:
    """The lines (of the original file) to load again, and each one's cells: as corrected in
    an edited report, else as the file had them.

    Raises:
        ConfigError: an edited report given to the wrong option, or ``--only rejected``
            without corrections.
    """
    _check_kind(fixed_rejected, "rejected", "--rejected")
    _check_kind(fixed_failed, "failed", "--failed")
    left = book.rows(parent.run_id)
    lines: set[int] = set()
    cells: dict[int, list[str]] = {}
    if only in {"all", "failed", "transient"}:
        failed = {
            r.line
            for r in left
            if r.outcome is RowOutcome.FAILED and (only != "transient" or r.transient)
        }
        chunks = parent_dir / "chunks"
        cells.update(original_cells(chunks, failed, book.lineage(parent.run_id)))
        if fixed_failed is not None:
            cells.update(_corrected(fixed_failed, parent, parent_dir, failed))
        lines |= failed & set(cells)
    if only == "rejected" and fixed_rejected is None:
        raise ConfigError("--only rejected needs the corrected rows: --rejected FIXED.csv")
    if fixed_rejected is not None and only in {"all", "rejected"}:
        rejected = {r.line for r in left if r.outcome is RowOutcome.REJECTED}
        corrected = _corrected(fixed_rejected, parent, parent_dir, rejected)
        cells.update(corrected)
        lines |= set(corrected)
    return lines, cells


def _check_kind(path: Path | None, wanted: str, option: str) -> None:
    if path is None:
        return
    kind = report_kind(path)
    if kind != wanted:
        right = "--failed" if kind == "failed" else "--rejected"
        raise ConfigError(
            f"{path.name} is an edited {kind}.csv, not {wanted}.csv: give it with {right}"
        )


def _corrected(
    path: Path, parent: RunRecord, parent_dir: Path, wanted: set[int]
) -> dict[int, list[str]]:
    """The corrected rows of an edited report that are among ``wanted`` (rows of the run
    still to load), by line."""
    header = _header(parent, parent_dir)
    return {line: row for line, row in fixed_rows(path, header) if line in wanted}


def _header(parent: RunRecord, parent_dir: Path) -> list[str]:
    for name in ("rejected.csv", "failed.csv"):
        report = parent_dir / name
        if report.exists():
            return report_header(report)
    raise ConfigError(f"run {parent.run_id} has no reports in {parent.run_dir}")


def _register(book: Ledger, parent: RunRecord, child: str, source: Path, child_dir: Path) -> None:
    """Record the child run before it claims rows, so that its claims count as live and its
    lineage has a run to belong to. Its input's hash is known once the input is written."""
    book.start_run(
        RunRecord(
            run_id=child,
            kind=RunKind.REPROCESS,
            file=str(source),
            file_sha256="",
            target=parent.target,
            object=parent.object,
            operation=parent.operation,
            external_id=parent.external_id,
            mapping=parent.mapping,
            options=parent.options,
            run_dir=str(child_dir),
            parent_run_id=parent.run_id,
        )
    )
