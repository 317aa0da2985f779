"""Thin Prefect tasks over the core: each step of a load, with retries, logs and no logic."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from hubload import interrupt, progress
from hubload.chunk_run import ChunkJob, run_chunk
from hubload.errors import StopRequestedError
from hubload.jobs import JobStatus
from hubload.options import LoadRequest
from hubload.outcomes import ChunkOutcome
from hubload.plan import LoadPlan
from hubload.preflight import describe, plan_request
from hubload.staging import Preparation, Prepared, StagedChunk
from hubload.targets import TargetConfig, open_target
from schemas.catalog import ObjectSpec
from tasks.ledger import ledger
from tasks.policies import RETRIES, RETRY_DELAYS, RETRY_JITTER, retry_if_transient


@task(
    name="describe-object",
    cache_policy=NO_CACHE,
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_jitter_factor=RETRY_JITTER,
    retry_condition_fn=retry_if_transient,
)
def describe_object(config: TargetConfig, object_name: str) -> ObjectSpec:
    """Read the target object's fields."""
    target = open_target(config)
    spec = describe(target, object_name)
    get_run_logger().info(
        "%s: %s has %d fields (%d required)",
        target.identity,
        spec.name,
        len(spec.fields),
        len(spec.required_fields()),
    )
    return spec


@task(name="plan-load", cache_policy=NO_CACHE)
def plan(config: TargetConfig, request: LoadRequest, spec: ObjectSpec) -> LoadPlan:
    """Check the operation and the mapping against the target and the header, before any row
    is read."""
    result = plan_request(open_target(config), request, spec)
    log = get_run_logger()
    log.info(
        "reading %s as %s, delimiter %r; %s into %s: %s",
        result.file.name,
        result.dialect.encoding,
        result.dialect.delimiter,
        result.operation.kind.value,
        spec.name,
        ", ".join(result.mapping.field_names),
    )
    if result.mapping.unmapped_columns:
        log.warning("columns not loaded: %s", ", ".join(result.mapping.unmapped_columns))
    for note in result.notes:
        log.warning("mapping: %s", note)
    return result


@dataclass
class Feed:
    """The chunks a staging task hands to its flow as it stages them (``None`` ends them), and
    the flow's word to stop staging. Found by key: a task's parameters are not the place for a
    queue."""

    chunks: queue.Queue[StagedChunk | None] = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)
    _open: ClassVar[dict[str, Feed]] = {}

    @classmethod
    def open(cls, key: str) -> Feed:
        """A new feed under ``key``."""
        cls._open[key] = cls()
        return cls._open[key]

    @classmethod
    def close(cls, key: str) -> None:
        """Forget the feed."""
        cls._open.pop(key, None)

    @classmethod
    def of(cls, key: str) -> Feed:
        """The feed under ``key``."""
        return cls._open[key]


@task(name="read-map-validate", cache_policy=NO_CACHE)
def stage_file(
    load_plan: LoadPlan, chunk_size: int, run_dir: Path, max_bytes: int, feed: str
) -> Prepared:
    """Check that the whole file reads (a pre-pass: nothing is staged before), then read, map
    and validate it chunk by chunk, handing each staged chunk to the flow at once (``feed``)
    so that its upload starts while the rest is read.

    Raises:
        InputFileError: the file does not read whole (nothing was staged).
        StopRequestedError: the load was asked to stop.
    """
    log = get_run_logger()
    out = Feed.of(feed)
    try:
        with (
            load_plan.open() as source,
            Preparation(
                source, load_plan.mapping, run_dir, chunk_size=chunk_size, max_bytes=max_bytes
            ) as preparation,
        ):
            tally = preparation.tally
            for staged in preparation.steps():
                interrupt.check()
                if out.stop.is_set():
                    raise StopRequestedError("the load stopped: staging too")
                progress.publish(progress.ProgressEvent("prepare", tally.read, tally.total_rows))
                if staged is not None:
                    out.chunks.put(staged)
                    log.info(
                        "chunk %d staged: %d rows (read %d, rejected %d)",
                        staged.number,
                        staged.rows,
                        tally.read,
                        tally.rejected,
                    )
    finally:
        out.chunks.put(None)
    result = preparation.result()
    log.info(
        "read %d rows: %d staged in %d chunk(s), %d rejected; timings %s",
        result.read,
        result.staged_rows,
        len(result.chunks),
        result.rejected,
        {k: round(v, 2) for k, v in result.timings.items()},
    )
    return result


@task(name="load-chunk", task_run_name="chunk-{chunk.number}", cache_policy=NO_CACHE)
def load_chunk(config: TargetConfig, job: ChunkJob, chunk: StagedChunk) -> ChunkOutcome:
    """Submit one chunk exactly once (write-ahead in the ledger), wait for its job, and tie the
    target's answer to its rows. A UI Retry of the run finds the chunk in the ledger and polls
    its job instead of sending it again."""
    log = get_run_logger()
    seen: list[str] = []

    def on_status(status: JobStatus) -> None:
        if not seen or seen[-1] != status.raw_status:
            seen.append(status.raw_status)
            log.info("chunk %d: job %s %s", chunk.number, status.job_id, status.raw_status)

    outcome = run_chunk(ledger(), open_target(config), job, chunk, on_status=on_status)
    log.info(
        "chunk %d (job %s, %s): %d succeeded, %d failed%s",
        chunk.number,
        outcome.job_id or "-",
        outcome.status,
        outcome.succeeded,
        outcome.failed,
        f" ({outcome.all_failed_reason})" if outcome.all_failed_reason else "",
    )
    return outcome
