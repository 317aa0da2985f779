"""The ``load`` flow: read, map, validate, submit, poll and reconcile one CSV file."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import Field

from hubload import progress
from hubload.client import JobRef, JobStatus
from hubload.errors import (
    ConfigError,
    JobTimeoutError,
    PartialLoadError,
    SubmissionUnknownError,
)
from hubload.outcomes import ChunkOutcome, chunk_failed
from hubload.reports import Summary
from hubload.settings import Settings
from hubload.staging import StagedChunk
from hubload.submission import Operation
from hubload.target import Target
from tasks import load as steps
from tasks.blocks import resolve_target
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
) -> Any:
    """Load one CSV file into ``hub``/``object_name``; every row ends succeeded, rejected or failed.

    The run ends Completed with the load's ``Summary`` when every row loaded, and Failed (named
    "Partially loaded") with a ``PartialLoadError`` carrying the summary when some rows were
    rejected or failed.
    The target comes from the ``target_block`` (a ``hubload-target`` block) when named, else
    from the ``HUBLOAD_*`` environment.
    """
    started = time.monotonic()
    log = get_run_logger()
    settings = Settings()
    try:
        op = Operation(kind=operation, external_id=external_id, serial=serial)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    target = resolve_target(hub, target_block)
    tag_run(hub, object_name)
    path = Path(file).expanduser()
    run_id = _run_id(path, object_name)
    run_dir = Path(report_dir).expanduser() if report_dir else settings.home / "runs"
    run_dir = run_dir / run_id
    log.info(
        "run %s: %s -> %s/%s (%s), reports in %s",
        run_id,
        path,
        hub,
        object_name,
        operation,
        run_dir,
    )

    spec = steps.describe_object(target, object_name)
    mapping_file = Path(mapping).expanduser() if mapping else None
    load_plan = steps.plan(path, spec, op, mapping_file, delimiter=delimiter, encoding=encoding)
    prepared = steps.prepare_file(load_plan, chunk_size, run_dir)

    outcomes: dict[int, ChunkOutcome] = {}
    jobs_started = time.monotonic()
    if not dry_run and prepared.chunks:
        with target_lock(target, spec.name) as lock:
            log.info("holding %s: no other load of %s/%s runs its jobs now", lock, hub, spec.name)
            outcomes = run_jobs(
                target, spec.name, prepared.chunks, run_id, op, concurrency, poll_budget_seconds
            )
    summary: Summary = finish(
        run_id,
        load_plan,
        hub=hub,
        prepared=prepared,
        outcomes=outcomes,
        run_dir=run_dir,
        dry_run=dry_run,
        seconds=time.monotonic() - started,
        jobs_seconds=time.monotonic() - jobs_started,
    )
    if summary.all_succeeded:
        return Completed(message=_counts(summary), data=summary)
    # A failed state's data must be an exception: it carries the summary.
    partial = PartialLoadError(_counts(summary), summary)
    return Failed(name="Partially loaded", message=_counts(summary), data=partial)


def _counts(summary: Summary) -> str:
    if summary.dry_run:
        return f"dry run: read {summary.read}, {summary.staged} valid, {summary.rejected} rejected"
    return (
        f"read {summary.read}: {summary.succeeded} succeeded, {summary.rejected} rejected, "
        f"{summary.failed} failed"
    )


Stage = Literal["submit", "wait", "outcome"]


def run_jobs(
    target: Target,
    object_name: str,
    chunks: list[StagedChunk],
    run_id: str,
    op: Operation,
    concurrency: int,
    budget: float,
) -> dict[int, ChunkOutcome]:
    """Take each chunk through submit -> wait -> outcome, with at most ``concurrency`` chunks in
    flight. A chunk whose step fails still gets an outcome: all its rows failed, with the error."""
    pending = deque(chunks)
    inflight: dict[PrefectFuture[Any], tuple[Stage, StagedChunk, str | None]] = {}
    outcomes: dict[int, ChunkOutcome] = {}
    bar = cast(
        UUID, create_progress_artifact(0.0, key="load-progress", description=f"jobs of {run_id}")
    )

    def start(chunk: StagedChunk) -> None:
        future = steps.submit.submit(target, object_name, chunk, run_id, op)
        inflight[future] = ("submit", chunk, None)

    while pending or inflight:
        while pending and len(inflight) < concurrency:
            start(pending.popleft())
        done = next(as_completed(list(inflight)))
        stage, chunk, job_id = inflight.pop(done)
        result = done.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            outcomes[chunk.number] = _failed_step(chunk, stage, job_id, result)
        elif stage == "submit":
            job = cast(JobRef, result)
            inflight[steps.wait.submit(target, job, budget)] = ("wait", chunk, job.job_id)
            continue
        elif stage == "wait":
            status = cast(JobStatus, result)
            inflight[steps.outcome.submit(target, chunk, status)] = ("outcome", chunk, job_id)
            continue
        else:
            outcomes[chunk.number] = cast(ChunkOutcome, result)
        done_share = len(outcomes) / len(chunks)
        update_progress_artifact(
            bar, done_share * 100, description=f"{len(outcomes)}/{len(chunks)} jobs done"
        )
        progress.publish(progress.ProgressEvent("jobs", len(outcomes), len(chunks)))
    return outcomes


def _failed_step(
    chunk: StagedChunk, stage: Stage, job_id: str | None, error: BaseException
) -> ChunkOutcome:
    if isinstance(error, SubmissionUnknownError):
        code = "SUBMIT_UNKNOWN"
    elif isinstance(error, JobTimeoutError):
        code = "JOB_TIMEOUT"
    else:
        code = {"submit": "SUBMIT_FAILED", "wait": "POLL_FAILED", "outcome": "ERRORS_UNREAD"}[stage]
    status = {"submit": "NOT_SUBMITTED", "wait": "UNKNOWN", "outcome": "UNKNOWN"}[stage]
    if isinstance(error, JobTimeoutError):
        status = error.last_status
    return chunk_failed(chunk, f"{code}: {error}", job_id=job_id, status=status)
