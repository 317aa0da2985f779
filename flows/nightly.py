"""The ``nightly`` flow: load every new file of the inbox, each as its own run of ``load``.

Run from a deployment, each file becomes a run of the ``load/request`` deployment that any
worker of the pool takes, a few in flight at once (``fan_out`` in the config); run in-process
(``hubload nightly``, tests) the files load one after the other as subflows. Either way the
ledger is the truth: a file's content is skipped once loaded, a failed file's run is taken up
by the next night under the same run id, and what the run did is read back from the ledger.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import State, flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import deployment, flow_run
from prefect.states import Completed, Failed

from flows.fanout import Landed, Launch, run_all
from flows.load import PARTIAL, UNREADABLE, load_request
from flows.reprocess import reprocess
from hubload.errors import FilesFailedError, HubloadError
from hubload.ledger import Ledger, RunStatus, file_sha256
from hubload.nightly import InboxFile, NightlyConfig, move_to, scan
from hubload.options import LoadRequest
from hubload.storage import Storage
from hubload.targets import TargetIdentity, open_target
from tasks.blocks import resolve_target
from tasks.ledger import ledger
from tasks.storage import shared_storage

DEFAULT_CONFIG = os.environ.get("HUBLOAD_NIGHTLY_CONFIG", "deployments/nightly.yaml")


@dataclass
class FileResult:
    """What the nightly run did with one inbox file."""

    file: str
    outcome: str
    detail: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FileLoad:
    """An inbox file to load: its run id (one per content, target object and operation), the
    request, and what the ledger must record once it loaded."""

    item: InboxFile
    identity: TargetIdentity
    sha256: str
    run_id: str
    request: LoadRequest
    loaded_before: bool


def nightly_name() -> str:
    """``nightly <date> <config>``: the night it loads (its scheduled date) and its config."""
    started = flow_run.scheduled_start_time
    day = started.strftime("%Y-%m-%d") if started else datetime.now(UTC).strftime("%Y-%m-%d")
    config = Path(str(flow_run.parameters.get("config", DEFAULT_CONFIG))).stem
    return f"nightly {day} {config}"


@flow(name="nightly", flow_run_name=nightly_name, log_prints=False)
def nightly(config: str = DEFAULT_CONFIG, force: bool = False, target_block: str = "") -> Any:
    """Load each inbox file that matches a source, once per content.

    With ``reprocess_transient`` in the config, the transient failures (record locks) of the
    last day and a half's loads are reprocessed first. A loaded file (even partially) moves to
    ``archive/`` and its content hash is recorded, so the same content is not loaded again unless
    ``force``; a file that cannot be read moves to ``failed/``; a file whose load failed stays
    in the inbox, and the next night takes its run up where it stopped. Run from a deployment,
    each file is a run of the ``load/request`` deployment on any worker, a few at once; one
    bad file does not stop the others. The run fails when any file failed, and says how many.
    """
    log = get_run_logger()
    block = target_block or None  # the form's empty field: each source's own, or the settings'
    cfg = NightlyConfig.load(Path(config).expanduser())
    book = ledger()  # the one its load runs use
    storage = shared_storage()
    results: list[FileResult] = []
    if cfg.reprocess_transient:
        results += _reprocess_transient(book, block)
    loads: list[FileLoad] = []
    for item in scan(cfg):
        found = _plan_file(item, cfg, book, force=force, target_block=block)
        if isinstance(found, FileResult):
            results.append(found)
            log.info("%s: %s %s", item.path.name, found.outcome, found.detail)
        else:
            loads.append(found)
    if deployment.id is not None:
        results += _fan_out(loads, cfg, book, storage)
    else:
        results += [_in_process(one, cfg, book) for one in loads]
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


def _plan_file(
    item: InboxFile, cfg: NightlyConfig, book: Ledger, *, force: bool, target_block: str | None
) -> FileLoad | FileResult:
    """The file's load, or what became of it when it is not to be loaded (already loaded,
    its target not reachable)."""
    src = item.source
    try:
        identity = open_target(resolve_target(src.target, src.hub, target_block)).identity
    except HubloadError as exc:
        return FileResult(item.path.name, "failed", f"left in the inbox: {exc}")
    sha = file_sha256(item.path)
    earlier = book.loaded_file(sha, identity, src.object, src.operation)
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
    return FileLoad(item, identity, sha, run_id, LoadRequest.of(**params), bool(earlier))


def _in_process(one: FileLoad, cfg: NightlyConfig, book: Ledger) -> FileResult:
    state: State[Any] = load_request(  # type: ignore[assignment] # a sync flow: its State
        one.request, run_id=one.run_id, return_state=True
    )
    return _settle(one, state, cfg, book)


def _fan_out(
    loads: list[FileLoad], cfg: NightlyConfig, book: Ledger, storage: Storage | None
) -> list[FileResult]:
    """Each file a run of the fan-out deployment, on any worker. The input goes to the shared
    storage first (when there is one), so that the worker that loads it can read it."""
    log = get_run_logger()
    launches = []
    for one in _interleaved(loads):
        file = str(one.item.path)
        if storage is not None:
            file = storage.share_input(one.item.path, one.sha256)
        request = one.request.model_copy(update={"file": file})
        launches.append(
            Launch(one.run_id, {"request": request.model_dump(mode="json"), "run_id": one.run_id})
        )
    by_run = {one.run_id: one for one in loads}
    results: dict[str, FileResult] = {}

    def landed(end: Landed) -> None:
        one = by_run[end.key]
        if end.state is None:
            hours = cfg.fan_out.wait_hours
            results[end.key] = FileResult(
                one.item.path.name,
                "failed",
                f"run {one.run_id} (flow run {end.flow_run_id}) not finished after {hours} h: "
                "left in the inbox",
            )
        else:
            results[end.key] = _settle(one, end.state, cfg, book)
        log.info("%s: %s %s", one.item.path.name, results[end.key].outcome, results[end.key].detail)

    run_all(
        cfg.fan_out.deployment,
        launches,
        in_flight=cfg.fan_out.files_in_flight,
        wait_seconds=cfg.fan_out.wait_hours * 3600,
        on_landed=landed,
    )
    return [results[one.run_id] for one in loads]


def _interleaved(loads: list[FileLoad]) -> list[FileLoad]:
    """The loads in the order to launch them: each target object in turn, its files in name
    order. Loads of one object run their jobs one at a time anyway (its lock), so the files in
    flight are spread over different objects rather than queueing for one object's lock."""
    by_object: dict[tuple[str, str], list[FileLoad]] = {}
    for one in loads:
        by_object.setdefault((one.identity.key, one.item.source.object), []).append(one)
    queues = list(by_object.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def _settle(one: FileLoad, state: State[Any], cfg: NightlyConfig, book: Ledger) -> FileResult:
    """What a file's load run did (its final state, its counts in the ledger), and the file
    moved accordingly: archived once loaded (even partially), to ``failed/`` when unreadable,
    left in the inbox otherwise."""
    name, src = one.item.path.name, one.item.source
    if state.name == UNREADABLE:
        moved = move_to(one.item.path, cfg.failed or cfg.inbox / "failed")
        return FileResult(name, "unreadable", f"{state.message} (moved to {moved.parent.name}/)")
    record = book.run(one.run_id, exact=True)
    finished = record is not None and record.status in {RunStatus.COMPLETED, RunStatus.PARTIAL}
    if not finished or not (state.is_completed() or state.name == PARTIAL):
        return FileResult(name, "failed", f"left in the inbox: {state.name}: {state.message}")
    assert record is not None  # finished says so
    if one.loaded_before:
        book.forget_file(one.sha256, one.identity, src.object, src.operation)
    book.record_file(
        one.sha256, one.item.path, one.identity, src.object, src.operation, record.run_id
    )
    move_to(one.item.path, cfg.archive or cfg.inbox / "archive")
    counts = {k: getattr(record, k) or 0 for k in ("read", "succeeded", "rejected", "failed")}
    outcome = "loaded" if record.status is RunStatus.COMPLETED else "partial"
    return FileResult(name, outcome, f"run {record.run_id}", counts)


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
            run=run.run_id, only="transient", target_block=target_block or "", return_state=True
        )
        if state.is_completed():
            outcome = "reprocessed"
        else:
            outcome = "partial" if state.name == PARTIAL else "failed"
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
