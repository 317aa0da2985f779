"""Thin Prefect tasks over the core: each step of a load, with retries, logs and no logic."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from hubload import progress
from hubload.client import JobRef, JobStatus, PollPolicy
from hubload.exactly_once import ChunkSubmitter, TargetCheck
from hubload.outcomes import ChunkOutcome, chunk_failed, collect_outcome
from hubload.plan import LoadPlan, plan_load
from hubload.staging import Prepared, StagedChunk, prepare
from hubload.submission import Operation
from hubload.target import Target
from schemas.catalog import ObjectSpec
from tasks.ledger import ledger
from tasks.policies import RETRIES, RETRY_DELAYS, RETRY_JITTER, retry_if_transient
from tasks.runs import submission_cache_key


@task(
    name="describe-object",
    cache_policy=NO_CACHE,
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_jitter_factor=RETRY_JITTER,
    retry_condition_fn=retry_if_transient,
)
def describe_object(target: Target, object_name: str) -> ObjectSpec:
    """Read the target object's field metadata."""
    with target.connect() as client:
        spec = client.describe(object_name)
    get_run_logger().info(
        "%s/%s has %d fields (%d required)",
        target.hub,
        spec.name,
        len(spec.fields),
        len(spec.required_fields()),
    )
    return spec


@task(name="plan-load", cache_policy=NO_CACHE)
def plan(
    file: Path,
    spec: ObjectSpec,
    operation: Operation,
    mapping_file: Path | None,
    *,
    delimiter: str | None,
    encoding: str | None,
) -> LoadPlan:
    """Check the mapping against the metadata and the header, before any row is read."""
    result = plan_load(
        file, spec, operation, mapping_file=mapping_file, delimiter=delimiter, encoding=encoding
    )
    log = get_run_logger()
    log.info(
        "reading %s as %s, delimiter %r; mapping %d field(s): %s",
        file.name,
        result.dialect.encoding,
        result.dialect.delimiter,
        len(result.mapping.fields),
        ", ".join(result.mapping.field_names),
    )
    if result.mapping.unmapped_columns:
        log.warning("columns not loaded: %s", ", ".join(result.mapping.unmapped_columns))
    return result


@task(name="read-map-validate", cache_policy=NO_CACHE)
def prepare_file(load_plan: LoadPlan, chunk_size: int, run_dir: Path) -> Prepared:
    """Stream the whole file: read, map and validate each chunk, stage its valid rows."""
    log = get_run_logger()

    def on_chunk(staged: StagedChunk | None, read: int, rejected: int) -> None:
        progress.publish(progress.ProgressEvent("prepare", read))
        if staged is not None:
            log.info(
                "chunk %d staged: %d rows (read %d, rejected %d)",
                staged.number,
                staged.rows,
                read,
                rejected,
            )

    with load_plan.open() as source:
        result = prepare(source, load_plan.mapping, chunk_size, run_dir, on_chunk=on_chunk)
    log.info(
        "read %d rows: %d staged in %d chunk(s), %d rejected; timings %s",
        result.read,
        result.staged_rows,
        len(result.chunks),
        result.rejected,
        {k: round(v, 2) for k, v in result.timings.items()},
    )
    return result


@task(
    name="submit-chunk",
    task_run_name="submit-chunk-{chunk.number}",
    cache_key_fn=submission_cache_key,
    persist_result=True,
)
def submit(
    target: Target,
    object_name: str,
    chunk: StagedChunk,
    run_id: str,
    operation: Operation,
    check: TargetCheck,
) -> JobRef | ChunkOutcome:
    """Upload one chunk as a bulk job, exactly once (write-ahead in the ledger; the core
    retries what is safe to resend). A persisted result spares even the ledger look-up when
    Prefect retries the run; the ledger decides when it does not (another machine, a crash
    between the upload and the result)."""
    with target.connect() as client:
        submitter = ChunkSubmitter(
            ledger(),
            client,
            run_id=run_id,
            object_name=object_name,
            operation=operation,
            check=check,
        )
        result = submitter.submit(chunk)
    log = get_run_logger()
    if isinstance(result, JobRef):
        log.info(
            "chunk %d: %d rows in job %s (%s)",
            chunk.number,
            chunk.rows,
            result.job_id,
            result.raw_status,
        )
    else:
        log.warning("chunk %d settled without a job: %s", chunk.number, result.status)
    return result


@task(name="wait-for-job", cache_policy=NO_CACHE, task_run_name="wait-for-job-{job.job_id}")
def wait(target: Target, job: JobRef, budget: float) -> JobStatus:
    """Poll the job to a terminal status within the budget."""
    log = get_run_logger()
    seen: list[str] = []

    def on_status(status: JobStatus) -> None:
        if not seen or seen[-1] != status.raw_status:
            seen.append(status.raw_status)
            log.info("job %s: %s", status.job_id, status.raw_status)

    with target.connect() as client:
        return client.wait(job.job_id, PollPolicy(budget=budget), on_status=on_status)


@task(
    name="read-job-errors",
    cache_policy=NO_CACHE,
    task_run_name="read-job-errors-{status.job_id}",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_jitter_factor=RETRY_JITTER,
    retry_condition_fn=retry_if_transient,
)
def outcome(target: Target, chunk: StagedChunk, status: JobStatus, run_id: str) -> ChunkOutcome:
    """Read the job's per-record errors and tie them to the chunk's rows."""
    with target.connect() as client:
        result = collect_outcome(client, chunk, status)
    ledger().mark_chunk(
        run_id,
        chunk.number,
        "done",
        job_status=status.raw_status,
        succeeded=result.succeeded,
        failed=result.failed,
    )
    get_run_logger().info(
        "job %s %s: %d succeeded, %d failed%s",
        status.job_id,
        status.raw_status,
        result.succeeded,
        result.failed,
        f" ({result.all_failed_reason})" if result.all_failed_reason else "",
    )
    return result


__all__ = ["chunk_failed", "describe_object", "outcome", "plan", "prepare_file", "submit", "wait"]
