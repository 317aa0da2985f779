"""The ``load`` flow: read, map, validate, submit, poll and reconcile one CSV file."""

from __future__ import annotations

import os
import socket
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from prefect import State, flow, get_run_logger
from prefect.exceptions import TerminationSignal
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import Field

from flows.jobs import heal
from flows.pipeline import run_pipeline
from hubload import interrupt, progress
from hubload.chunk_run import ChunkJob
from hubload.errors import (
    ConfigError,
    InputFileError,
    PartialLoadError,
    ReconciliationError,
    StopRequestedError,
)
from hubload.exactly_once import TargetCheck
from hubload.forms import Advanced, FileDetails, request_from_form
from hubload.healing import Healing
from hubload.ledger import ChunkState, Ledger, RunKind, RunRecord, RunStatus, file_sha256
from hubload.options import MAX_CONCURRENCY, LoadRequest
from hubload.plan import LoadPlan
from hubload.preflight import refuse_a_second_load
from hubload.settings import Settings
from hubload.storage import Storage, is_url, local_copy
from hubload.summary import Summary
from hubload.targets import TargetIdentity, TargetKind, open_target
from tasks import load as steps
from tasks.artifacts import link_parent_load
from tasks.blocks import resolve_target
from tasks.ledger import ledger, record_outcome
from tasks.report import finish
from tasks.runs import tag_run, target_lock
from tasks.storage import shared_storage

# A stop asked for: Ctrl+C, SIGTERM (Prefect turns it into TerminationSignal in a flow run),
# or a step that saw the stop request while waiting.
STOP_SIGNALS = (KeyboardInterrupt, TerminationSignal, StopRequestedError)
# The names of a load run's failed end states: some rows did not load; the file cannot be read.
PARTIAL, UNREADABLE = "Partially loaded", "Unreadable"
HUBS = ["helpdesk", "marketing"]
OBJECTS = {
    "Salesforce, or Service Cloud through Open Connectors (hub helpdesk)": [
        "Contact",
        "Account",
        "Lead",
        "Case",
    ],
    "Open Connectors, hub marketing": ["contact", "account", "activities", "campaign", "list"],
}
# The object in the form: a list for each kind of target, or any name (checked before the load
# starts, with the closest names when it does not exist).
OBJECT_CHOICES: dict[str, Any] = {
    "anyOf": [
        *({"title": title, "type": "string", "enum": names} for title, names in OBJECTS.items()),
        {"title": "Another object (its API name)", "type": "string"},
    ]
}
OPERATIONS = Literal["insert", "upsert", "update", "delete", "hardDelete"]
DEFAULT_DETAILS, DEFAULT_ADVANCED = FileDetails(), Advanced()
TargetChoice = Literal["configured", "open-connectors", "salesforce"]
# One task thread per chunk in flight.
# (The cast: Prefect types the flow's runner invariantly over its future type.)
_RUNNER = cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=MAX_CONCURRENCY))


def run_name() -> str:
    """``<file name> -> <hub>/<object>`` (Open Connectors) or ``<file name> -> <object>``, the
    name each load's run shows in the UI (for the form's flow and the request's alike)."""
    params: Any = dict(flow_run.parameters)
    request = params.get("request")  # the typed flow's: a model in-process, a dict from the API
    if request is not None:
        params = request.model_dump() if isinstance(request, LoadRequest) else dict(request)
    name = Path(str(params.get("file", "?"))).name
    hub = params.get("hub") if params.get("target") != TargetKind.SALESFORCE.value else None
    return f"{name} -> {hub + '/' if hub else ''}{params.get('object_name')}"


def _run_id(file: Path, object_name: str) -> str:
    started = flow_run.scheduled_start_time
    stamp = started.strftime("%Y%m%dT%H%M%S") if started else time.strftime("%Y%m%dT%H%M%S")
    run = str(flow_run.id or "local")[:8]
    return f"{stamp}-{file.stem}-{object_name}-{run}"


def titled(title: str, **extra: Any) -> Any:
    """A form field's title (Prefect titles a parameter by its name unless the schema says)."""
    return Field(json_schema_extra={"title": title, **extra})


@flow(name="load", flow_run_name=run_name, task_runner=_RUNNER, log_prints=False)
def load(
    file: Annotated[str, titled("File")],
    object_name: Annotated[str, titled("Object", **OBJECT_CHOICES)],
    target: Annotated[TargetChoice, titled("Target")] = "configured",
    hub: Annotated[str, titled("Hub (Open Connectors)", examples=HUBS)] = "helpdesk",
    operation: Annotated[OPERATIONS, titled("Operation")] = "insert",
    external_id: Annotated[str, titled("Upsert key")] = "",
    mapping: Annotated[str, titled("Mapping file")] = "",
    dry_run: Annotated[bool, titled("Dry run")] = False,
    force: Annotated[bool, titled("Load again")] = False,
    details: Annotated[FileDetails, titled("The file's details")] = DEFAULT_DETAILS,
    advanced: Annotated[Advanced, titled("Advanced")] = DEFAULT_ADVANCED,
    target_block: Annotated[str, titled("Target block")] = "",
) -> Any:
    """Load one CSV file into an object; every row ends succeeded, rejected or failed.

    The run ends Completed when every row loaded, and "Partially loaded" (a failed state, with
    the summary) when some rows were rejected or failed: its artifacts show them, with the next
    steps. A Retry takes the run up where it stopped: sent chunks are polled, never sent again.

    Args:
        file: The CSV file to load: its path on the machine that runs the load.
        object_name: The object to load into: pick it from the target's list, or type its API
            name.
        target: Which API to load through; configured: the one set up (or the block's).
        hub: The Open Connectors hub of the object (helpdesk, marketing...); Salesforce
            ignores it.
        operation: insert new records; upsert by an external id; update, delete or hardDelete
            by Id (Salesforce).
        external_id: For an upsert: the external id field that matches records.
        mapping: A mapping file (YAML, or a Data Loader .sdl) on the machine that runs the
            load; empty: columns named like fields map themselves.
        dry_run: Read, map and check every row, write the reports, send nothing.
        force: Insert the file even if its content was loaded into this object before.
        details: How the file is written: delimiter, encoding, start row, dates, empty cells.
        advanced: Job size, jobs at once, healing, waiting: the defaults suit most loads.
        target_block: A saved hubload target (its credentials); empty: the environment's.
    """
    request = request_from_form(
        {
            "file": file,
            "object_name": object_name,
            "target": None if target == "configured" else target,
            "hub": hub,
            "operation": operation,
            "external_id": external_id,
            "mapping": mapping,
            "dry_run": dry_run,
            "target_block": target_block,
        },
        details,
        advanced,
    )
    return run_load(request, run_id=None, parent_run=None, force=force)


@flow(name="load", flow_run_name=run_name, task_runner=_RUNNER, log_prints=False)
def load_request(
    request: LoadRequest,
    run_id: str | None = None,
    parent_run: str | None = None,
    force: bool = False,
) -> Any:
    """A load of a typed request (the CLI, resume, reprocess and nightly runs use it; the form's
    ``load`` is the same load). ``run_id`` takes a recorded run up (its submitted chunks are
    polled, not resent); ``parent_run`` marks a reprocess run, whose loaded rows resolve the
    parent's. A run taken up again must load into the target it loaded into, unless ``force``.
    """
    return run_load(request, run_id=run_id, parent_run=parent_run, force=force)


def run_load(
    request: LoadRequest, *, run_id: str | None, parent_run: str | None, force: bool = False
) -> Any:
    """The body of a ``load`` run (inside a flow run), for a typed request. A file that cannot
    be read ends the run in a failed state named ``Unreadable`` (so that a nightly run on
    another machine tells it from a failed load by its state alone)."""
    try:
        return _load(request, run_id=run_id, parent_run=parent_run, force=force)
    except InputFileError as exc:
        return Failed(name=UNREADABLE, message=str(exc), data=exc)


def _load(request: LoadRequest, *, run_id: str | None, parent_run: str | None, force: bool) -> Any:
    started = time.monotonic()
    log = get_run_logger()
    op = request.operation_spec()
    config = resolve_target(request.target, request.hub, request.target_block)
    target = open_target(config, timeout=Settings().timeout())
    identity = target.identity
    tag_run(identity, request.object_name, parent_run, file_name=Path(request.file).name)
    storage = shared_storage()
    origin = request.file
    request = request.model_copy(update={"file": str(_local_input(origin, storage))})
    path = Path(request.file)
    rid = run_id or _run_id(path, request.object_name)
    run_dir = _run_folder(request, rid)
    log.info(
        "run %s: %s -> %s of %s (%s), reports in %s",
        rid,
        path,
        request.object_name,
        identity,
        op.kind.value,
        run_dir,
    )
    spec = steps.describe_object(config, request.object_name)
    mapping_file = Path(request.mapping).expanduser() if request.mapping else None
    load_plan = steps.plan(config, request, spec)
    options = {
        **request.recorded(),
        "mapping": str(mapping_file.resolve()) if mapping_file else None,
        # Who runs it: `hubload resume` will not take over a run whose process still lives.
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    book = None
    if not request.dry_run:
        shared = Shared.of(storage, load_plan.file, origin, rid, run_dir)
        options["file"] = shared.file
        book = start_run(rid, load_plan, identity, shared, options, parent_run, force=force)
        parent = book.run(parent_run, exact=True) if parent_run else None
        if parent is not None:
            link_parent_load(parent)
    try:
        job = ChunkJob(
            run_id=rid,
            object_name=spec.name,
            operation=op,
            check=TargetCheck(match_key=request.match_key, settle_seconds=request.settle_seconds),
            poll_budget=request.poll_budget_seconds,
        )
        healing = Healing()
        jobs_started = time.monotonic()
        # The object's slot is held from the first staged chunk (sent at once) to the last job.
        with target_lock(identity, spec.name) if book is not None else nullcontext("") as lock:
            if lock:
                log.info("holding %s: no other load of %s runs its jobs now", lock, spec.name)
            prepared, outcomes = run_pipeline(
                config,
                job,
                book,
                load_plan,
                run_dir,
                chunk_size=request.chunk_size,
                max_bytes=target.capabilities.max_upload_bytes,
                concurrency=request.effective_concurrency,
            )
            if book is not None and prepared.chunks:
                healing = heal(
                    config,
                    job,
                    book,
                    prepared.chunks,
                    outcomes,
                    chunk_rows=request.chunk_size,
                    chunk_dir=run_dir / "chunks",
                    concurrency=request.effective_concurrency,
                    rounds=request.heal_rounds,
                )
        summary: Summary = finish(
            rid,
            load_plan,
            identity=identity,
            config=config,
            prepared=prepared,
            outcomes=outcomes,
            healing=healing,
            lineage=book.lineage(rid) if book is not None and parent_run else None,
            run_dir=run_dir,
            storage=storage if book is not None else None,
            dry_run=request.dry_run,
            seconds=time.monotonic() - started,
            jobs_seconds=time.monotonic() - jobs_started,
        )
        if book is not None:
            record_outcome(rid, summary, run_dir)
    except BaseException as exc:
        stopped = isinstance(exc, STOP_SIGNALS)
        if stopped:
            interrupt.request_stop()  # the chunks' threads stop waiting too
        if book is not None:
            status = RunStatus.INTERRUPTED if stopped else RunStatus.FAILED
            book.finish_run(rid, status, message=_how_it_stopped(book, rid, exc, stopped))
        raise
    return _end_state(rid, summary)


def _end_state(rid: str, summary: Summary) -> State[Any]:
    """Completed with the summary; Failed (named Partially loaded) with a PartialLoadError when
    rows were left; Failed (Unreconciled) when the target shows rows loaded twice (the run is
    recorded as it ended: its rows are where they are)."""
    if summary.audit.status.is_problem:
        unreconciled = ReconciliationError(f"run {rid}: {summary.audit.note}")
        return Failed(name="Unreconciled", message=str(unreconciled), data=unreconciled)
    if summary.all_succeeded:
        return Completed(message=_counts(summary), data=summary)
    # A failed state's data must be an exception: it carries the summary.
    partial = PartialLoadError(_counts(summary), summary)
    return Failed(name=PARTIAL, message=_counts(summary), data=partial)


def _local_input(file: str, storage: Storage | None) -> Path:
    """The input on this machine: the path given, or a cached copy of a file in the storage
    (a nightly's file, a resumed run's)."""
    cache = Settings().cache_dir("inputs")
    return local_copy(file, cache, storage.options if storage else None)


def _run_folder(request: LoadRequest, rid: str) -> Path:
    """The run's report folder on this machine (made): ``--report-dir`` or the home's.

    Raises:
        ConfigError: it cannot be made.
    """
    home = Settings()
    base = Path(request.report_dir).expanduser() if request.report_dir else home.home_dir() / "runs"
    run_dir = base / rid
    progress.publish(progress.ProgressEvent("start", 0, run_id=rid))
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"report folder {base}: cannot make {run_dir.name} there "
            f"({exc.strerror or type(exc).__name__}); give --report-dir a folder"
        ) from exc
    return run_dir


def outcome_of(state: State[Any]) -> Any:
    """What a finished ``load`` (or ``reprocess``) run produced: its ``Summary`` (complete or
    partial alike), the exception that stopped it, or ``None`` when it had nothing to do."""
    result = state.result(raise_on_failure=False)
    return result.summary if isinstance(result, PartialLoadError) else result


@dataclass(frozen=True)
class Shared:
    """What the ledger records of a run's files: its input (a storage URL once shared, so that
    any worker can take the run up) and its report folder (in the storage, when there is one)."""

    file: str
    sha256: str
    run_dir: str

    @classmethod
    def of(
        cls, storage: Storage | None, local: Path, origin: str, rid: str, run_dir: Path
    ) -> Shared:
        """Share the input (unless it came from the storage) and name the run's folder there.

        Raises:
            StorageError: the storage cannot be written.
        """
        sha = file_sha256(local)
        if storage is None:
            return cls(origin if is_url(origin) else str(local), sha, str(run_dir))
        file = origin if is_url(origin) else storage.share_input(local, sha)
        return cls(file, sha, storage.location("runs", rid))


def start_run(
    rid: str,
    load_plan: LoadPlan,
    identity: TargetIdentity,
    shared: Shared,
    options: dict[str, Any],
    parent_run: str | None,
    *,
    force: bool = False,
) -> Ledger:
    """Record the run in the ledger (or find it there: a resumed or retried run, which must
    load into the target it loaded into, unless ``force``).

    Raises:
        ConfigError: a resumed run's recorded target (or content) differs.
    """
    book = ledger()
    sha = shared.sha256
    earlier = book.run(rid, exact=True)
    if earlier is not None and earlier.file_sha256:
        earlier.check_target(identity, force=force)
    elif parent_run is None and not force:
        refuse_a_second_load(book, sha, identity, load_plan)
    book.start_run(
        RunRecord(
            run_id=rid,
            kind=RunKind.REPROCESS if parent_run else RunKind.LOAD,
            file=shared.file,
            file_sha256=sha,
            target=identity.key,
            object=load_plan.mapping.target.name,
            operation=load_plan.operation.kind.value,
            external_id=load_plan.operation.external_id,
            mapping=options.get("mapping"),
            options=options,
            run_dir=shared.run_dir,
            parent_run_id=parent_run,
            flow_run_id=str(flow_run.id) if flow_run.id else None,
        )
    )
    return book


def _how_it_stopped(book: Ledger, rid: str, exc: BaseException, stopped: bool) -> str:
    """What the ledger says of a run that did not finish: the chunks it sent and did not."""
    if not stopped:
        return str(exc)[:2000]
    chunks = book.chunks(rid)
    sent = [c for c in chunks if c.state is not ChunkState.STAGED]
    return (
        f"interrupted: {len(sent)} of {len(chunks)} staged chunk(s) sent "
        f"({sum(c.rows for c in sent)} of {sum(c.rows for c in chunks)} rows); "
        f"hubload resume {rid} takes it up"
    )


def _counts(summary: Summary) -> str:
    if summary.dry_run:
        return f"dry run: read {summary.read}, {summary.staged} valid, {summary.rejected} rejected"
    return (
        f"read {summary.read}: {summary.succeeded} succeeded, {summary.rejected} rejected, "
        f"{summary.failed} failed"
    )
