"""The ``nightly`` flow: load every new file of the inbox as a subflow run of ``load``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import State, flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from flows.load import load_request, outcome_of
from flows.reprocess import reprocess
from hubload.errors import FilesFailedError, HubloadError, InputFileError
from hubload.ledger import Ledger, RunStatus, file_sha256
from hubload.nightly import InboxFile, NightlyConfig, move_to, scan
from hubload.options import LoadRequest
from hubload.summary import Summary
from hubload.targets import open_target
from tasks.blocks import resolve_target
from tasks.ledger import ledger

DEFAULT_CONFIG = os.environ.get("HUBLOAD_NIGHTLY_CONFIG", "deployments/nightly.yaml")


@dataclass
class FileResult:
    """What the nightly run did with one inbox file."""

    file: str
    outcome: str
    detail: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@flow(name="nightly", log_prints=False)
def nightly(
    config: str = DEFAULT_CONFIG, force: bool = False, target_block: str | None = None
) -> Any:
    """Load each inbox file that matches a source, once per content.

    With ``reprocess_transient`` in the config, the transient failures (record locks) of the
    last day and a half's loads are reprocessed first. A loaded file (even partially) moves to
    ``archive/`` and its content hash is recorded, so the same content is not loaded again unless
    ``force``; a file that cannot be read moves to
    ``failed/``; a configuration error leaves the file in the inbox for the next night. One bad
    file does not stop the others. The run fails when any file failed, and says how many.
    """
    log = get_run_logger()
    cfg = NightlyConfig.load(Path(config).expanduser())
    book = ledger()  # the one its load subflows use
    results: list[FileResult] = []
    if cfg.reprocess_transient:
        results += _reprocess_transient(book, target_block)
    for item in scan(cfg):
        results.append(_one_file(item, cfg, book, force=force, target_block=target_block))
        log.info("%s: %s %s", item.path.name, results[-1].outcome, results[-1].detail)
    failed = [r for r in results if r.outcome in {"failed", "unreadable"}]
    _publish(results)
    message = (
        f"{len(results)} file(s): {sum(r.outcome in {'loaded', 'partial'} for r in results)} "
        f"loaded, {sum(r.outcome == 'skipped' for r in results)} already loaded, "
        f"{len(failed)} failed"
    )
    if failed:
        return Failed(message=message, data=FilesFailedError(message, results))
    return Completed(message=message, data=results)


def _one_file(
    item: InboxFile, cfg: NightlyConfig, ledger: Ledger, *, force: bool, target_block: str | None
) -> FileResult:
    src = item.source
    try:
        identity = open_target(resolve_target(src.target, src.hub, target_block)).identity
    except HubloadError as exc:
        return FileResult(item.path.name, "failed", f"left in the inbox: {exc}")
    sha = file_sha256(item.path)
    earlier = ledger.loaded_file(sha, identity, src.object, src.operation)
    if earlier and not force:
        move_to(item.path, cfg.archive or cfg.inbox / "archive")
        return FileResult(
            item.path.name, "skipped", f"same content loaded by run {earlier['run_id']}"
        )
    # One run id per content and target: a load that failed after sending chunks is resumed
    # the next night (its chunks polled, not sent again); a forced reload is a new run.
    run_id = f"{item.path.stem}-{src.object}-{sha[:12]}"
    if force:
        run_id += f"-{str(flow_run.id or 'local')[:8]}"
    params = src.load_parameters()
    params.update(file=str(item.path), target_block=target_block or src.target_block)
    request = LoadRequest.of(**params)
    state: State[Any] = load_request(  # type: ignore[assignment] # a sync flow: its State
        request, run_id=run_id, return_state=True
    )
    result = outcome_of(state)
    if isinstance(result, InputFileError):
        moved = move_to(item.path, cfg.failed or cfg.inbox / "failed")
        return FileResult(item.path.name, "unreadable", f"{result} (moved to {moved.parent.name}/)")
    if not isinstance(result, Summary):
        return FileResult(item.path.name, "failed", f"left in the inbox: {result}")
    if earlier:
        ledger.forget_file(sha, identity, src.object, src.operation)
    ledger.record_file(sha, item.path, identity, src.object, src.operation, result.run_id)
    move_to(item.path, cfg.archive or cfg.inbox / "archive")
    counts = {k: getattr(result, k) for k in ("read", "succeeded", "rejected", "failed")}
    outcome = "loaded" if result.all_succeeded else "partial"
    return FileResult(item.path.name, outcome, f"run {result.run_id}", counts)


def _reprocess_transient(ledger: Ledger, target_block: str | None) -> list[FileResult]:
    """Reprocess the transient failures (record locks) of the last day and a half's loads."""
    since = datetime.now(UTC) - timedelta(hours=36)
    done: list[FileResult] = []
    for run in ledger.runs(limit=500):
        started = run.started_at
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        if run.status is not RunStatus.PARTIAL or started is None or started < since:
            continue
        if not any(r.transient for r in ledger.rows(run.run_id)):
            continue
        state: State[Any] = reprocess(  # type: ignore[assignment] # a sync flow returns its State
            run=run.run_id, only="transient", target_block=target_block, return_state=True
        )
        if state.is_completed():
            outcome = "reprocessed"
        else:
            outcome = "partial" if state.name == "Partially loaded" else "failed"
        done.append(FileResult(Path(run.file).name, outcome, state.message or ""))
    return done


def _publish(results: list[FileResult]) -> None:
    create_table_artifact(
        key="nightly-files",
        table=[
            {"file": r.file, "outcome": r.outcome, **r.counts, "detail": r.detail} for r in results
        ]
        or [{"file": "", "outcome": "no file in the inbox"}],
        description="What the nightly run did with each inbox file",
    )
