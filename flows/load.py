"""The ``load`` flow: read, map, validate, submit, poll and reconcile one CSV file."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from prefect import State, flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import Field

from flows.jobs import run_jobs
from hubload.errors import ConfigError, PartialLoadError
from hubload.exactly_once import TargetCheck
from hubload.ledger import Ledger, RunRecord, file_sha256
from hubload.outcomes import ChunkOutcome
from hubload.plan import LoadPlan
from hubload.reports import Summary
from hubload.settings import Settings
from hubload.submission import Operation
from tasks import load as steps
from tasks.blocks import resolve_target
from tasks.ledger import ledger, record_outcome
from tasks.report import finish
from tasks.runs import tag_run, target_lock

MAX_CONCURRENCY = 16
# What the UI offers in its drop-downs (the JSON schema's enum); the CLI may name any object.
KNOWN_HUBS = ["helpdesk", "marketing", "crm"]
KNOWN_OBJECTS = ["Contact", "Account", "Lead", "Case", "contact", "account", "campaign", "list"]
# Each chunk in flight holds up to three task threads (submit, wait, outcome) at once.
# (The cast: Prefect types the flow's runner invariantly over its future type.)
_RUNNER = cast(
    "TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=3 * MAX_CONCURRENCY)
)


def run_name() -> str:
    """``<file name> -> <hub>/<object>``, the name each load's run shows in the UI."""
    params = flow_run.parameters
    name = Path(str(params.get("file", "?"))).name
    return f"{name} -> {params.get('hub')}/{params.get('object_name')}"


def _run_id(file: Path, object_name: str) -> str:
    started = flow_run.scheduled_start_time
    stamp = started.strftime("%Y%m%dT%H%M%S") if started else time.strftime("%Y%m%dT%H%M%S")
    run = str(flow_run.id or "local")[:8]
    return f"{stamp}-{file.stem}-{object_name}-{run}"


@flow(
    name="load",
    flow_run_name=run_name,
    task_runner=_RUNNER,
    log_prints=False,
)
def load(
    file: str,
    object_name: Annotated[str, Field(json_schema_extra={"enum": KNOWN_OBJECTS})],
    hub: Annotated[str, Field(json_schema_extra={"enum": KNOWN_HUBS})] = "helpdesk",
    mapping: str | None = None,
    operation: Literal["insert", "upsert"] = "insert",
    external_id: str | None = None,
    chunk_size: Annotated[int, Field(ge=1, le=1_000_000)] = 50_000,
    concurrency: Annotated[int, Field(ge=1, le=MAX_CONCURRENCY)] = 4,
    dry_run: bool = False,
    serial: bool = False,
    delimiter: str | None = None,
    encoding: str | None = None,
    poll_budget_seconds: Annotated[float, Field(gt=0)] = 1800.0,
    report_dir: str | None = None,
    target_block: str | None = None,
    match_key: str | None = None,
    settle_seconds: Annotated[float, Field(ge=0)] = 10.0,
    run_id: str | None = None,
    parent_run: str | None = None,
) -> Any:
    """Load one CSV file into ``hub``/``object_name``; every row ends succeeded, rejected or failed.

    The run ends Completed with the load's ``Summary`` when every row loaded, and Failed (named
    "Partially loaded") with a ``PartialLoadError`` carrying the summary when some rows were
    rejected or failed. The target comes from the ``target_block`` (a ``hubload-target`` block)
    when named, else from the ``HUBLOAD_*`` environment. ``match_key`` (a field such as Email)
    lets an insert whose upload answer was lost be checked at the target instead of left for a
    decision (after ``settle_seconds``, so that a job the target did receive has finished).
    ``run_id`` resumes a recorded run (its submitted chunks are polled, not resent);
    ``parent_run`` marks a reprocess run, whose loaded rows resolve the parent's.
    """
    started = time.monotonic()
    log = get_run_logger()
    settings = Settings()
    try:
        op = Operation(kind=operation, external_id=external_id, serial=serial)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    target = resolve_target(hub, target_block)
    tag_run(hub, object_name, parent_run)
    path = Path(file).expanduser()
    rid = run_id or _run_id(path, object_name)
    run_dir = (Path(report_dir).expanduser() if report_dir else settings.home / "runs") / rid
    log.info(
        "run %s: %s -> %s/%s (%s), reports in %s", rid, path, hub, object_name, operation, run_dir
    )

    spec = steps.describe_object(target, object_name)
    mapping_file = Path(mapping).expanduser() if mapping else None
    load_plan = steps.plan(path, spec, op, mapping_file, delimiter=delimiter, encoding=encoding)
    if match_key is not None and load_plan.mapping.target.field_named(match_key) is None:
        raise ConfigError(f"match key {match_key!r} is not a field of {spec.name}")
    options = {
        "mapping": str(mapping_file.resolve()) if mapping_file else None,
        "chunk_size": chunk_size,
        "concurrency": concurrency,
        "poll_budget_seconds": poll_budget_seconds,
        "serial": serial,
        "delimiter": delimiter,
        "encoding": encoding,
        "match_key": match_key,
        "settle_seconds": settle_seconds,
        "target_block": target_block,
        "report_dir": report_dir,
        # Who runs it: `hubload resume` will not take over a run whose process still lives.
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    book = None if dry_run else start_run(rid, load_plan, hub, run_dir, options, parent_run)
    try:
        prepared = steps.prepare_file(load_plan, chunk_size, run_dir)
        outcomes: dict[int, ChunkOutcome] = {}
        jobs_started = time.monotonic()
        if book is not None and prepared.chunks:
            book.stage_chunks(rid, [(c.number, c.rows, c.sha256) for c in prepared.chunks])
            check = TargetCheck(match_key=match_key, settle_seconds=settle_seconds)
            with target_lock(target, spec.name) as lock:
                log.info(
                    "holding %s: no other load of %s/%s runs its jobs now", lock, hub, spec.name
                )
                outcomes = run_jobs(
                    target,
                    spec.name,
                    prepared.chunks,
                    rid,
                    op,
                    concurrency=concurrency,
                    budget=poll_budget_seconds,
                    check=check,
                )
        summary: Summary = finish(
            rid,
            load_plan,
            hub=hub,
            prepared=prepared,
            outcomes=outcomes,
            run_dir=run_dir,
            dry_run=dry_run,
            seconds=time.monotonic() - started,
            jobs_seconds=time.monotonic() - jobs_started,
        )
        if book is not None:
            record_outcome(rid, summary)
    except BaseException as exc:
        if book is not None:
            book.finish_run(rid, "failed", message=str(exc)[:2000])
        raise
    if summary.all_succeeded:
        return Completed(message=_counts(summary), data=summary)
    # A failed state's data must be an exception: it carries the summary.
    partial = PartialLoadError(_counts(summary), summary)
    return Failed(name="Partially loaded", message=_counts(summary), data=partial)


def outcome_of(state: State[Any]) -> Any:
    """What a finished ``load`` (or ``reprocess``) run produced: its ``Summary`` (complete or
    partial alike), the exception that stopped it, or ``None`` when it had nothing to do."""
    result = state.result(raise_on_failure=False)
    return result.summary if isinstance(result, PartialLoadError) else result


def start_run(
    rid: str,
    load_plan: LoadPlan,
    hub: str,
    run_dir: Path,
    options: dict[str, Any],
    parent_run: str | None,
) -> Ledger:
    """Record the run in the ledger (or find it there: a resumed or retried run)."""
    book = ledger()
    book.start_run(
        RunRecord(
            run_id=rid,
            kind="reprocess" if parent_run else "load",
            file=str(load_plan.file),
            file_sha256=file_sha256(load_plan.file),
            hub=hub,
            object=load_plan.mapping.target.name,
            operation=load_plan.operation.kind,
            external_id=load_plan.operation.external_id,
            mapping=options.get("mapping"),
            options=options,
            run_dir=str(run_dir),
            parent_run_id=parent_run,
            flow_run_id=str(flow_run.id) if flow_run.id else None,
        )
    )
    return book


def _counts(summary: Summary) -> str:
    if summary.dry_run:
        return f"dry run: read {summary.read}, {summary.staged} valid, {summary.rejected} rejected"
    return (
        f"read {summary.read}: {summary.succeeded} succeeded, {summary.rejected} rejected, "
        f"{summary.failed} failed"
    )
