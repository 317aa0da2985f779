"""A pipelined load: the file is staged by one task while the chunks already staged are sent,
so that the target works while the rest of the file is read.

Nothing is sent from a file that does not read whole: the staging task's pre-pass checks every
byte (decoding, NUL bytes, quoting) before it stages the first chunk. The ledger learns each
chunk as it is staged, before it is sent; a load stopped part-way is resumed from the ledger.
"""

from __future__ import annotations

import queue
from pathlib import Path
from uuid import uuid4

from flows.jobs import JobPool
from hubload import interrupt
from hubload.chunk_run import ChunkJob
from hubload.ledger import Ledger
from hubload.outcomes import ChunkOutcome
from hubload.plan import LoadPlan
from hubload.staging import Prepared
from hubload.targets import TargetConfig
from tasks.load import Feed, stage_file

WAIT_SECONDS = 0.05
"""How long the flow waits for a job or a staged chunk before it looks at the other again."""


def run_pipeline(
    config: TargetConfig,
    job: ChunkJob,
    book: Ledger | None,
    load_plan: LoadPlan,
    run_dir: Path,
    *,
    chunk_size: int,
    max_bytes: int,
    concurrency: int,
) -> tuple[Prepared, dict[int, ChunkOutcome]]:
    """Stage the file and send each chunk as soon as it is staged, at most ``concurrency`` in
    flight. Without a ledger (a dry run) nothing is sent. Returns the staging's result and each
    sent chunk's outcome.

    Raises:
        InputFileError: the file does not read whole (nothing was sent).
        StopRequestedError: the load was asked to stop (the chunks in flight end first).
    """
    key = f"{job.run_id}-{uuid4().hex[:8]}"
    feed = Feed.open(key)
    pool = JobPool(config, job, concurrency=concurrency) if book is not None else None
    try:
        staging = stage_file.submit(load_plan, chunk_size, run_dir, max_bytes, key)
        ended = False
        while not ended or (pool is not None and pool.busy):
            if not ended:
                ended = _take_staged(feed, book, pool, job.run_id)
            if pool is not None:
                pool.step(WAIT_SECONDS if not ended else None)
            if interrupt.stop_requested():
                break
        result = staging.result(raise_on_failure=False)
        if not isinstance(result, Prepared):
            # The staging failed: nothing more is sent; what was sent has ended.
            _finish(pool)
            raise result if isinstance(result, BaseException) else RuntimeError(str(result))
        interrupt.check()
        return result, (pool.outcomes if pool is not None else {})
    except BaseException as exc:
        feed.stop.set()  # the staging task stops at its next chunk
        if not isinstance(exc, Exception):
            # Ctrl+C, or SIGTERM (Prefect raises it as TerminationSignal): the chunks in flight
            # stop waiting too, and are left for resume, rather than waited out.
            interrupt.request_stop()
        _finish(pool)
        raise
    finally:
        Feed.close(key)


def _take_staged(feed: Feed, book: Ledger | None, pool: JobPool | None, rid: str) -> bool:
    """Take every chunk staged so far (waiting a moment for one when nothing else is running):
    recorded in the ledger, then queued to be sent. Whether the staging has ended."""
    idle = pool is None or not pool.busy
    try:
        item = feed.chunks.get(timeout=WAIT_SECONDS * 10 if idle else WAIT_SECONDS)
        while True:
            if item is None:
                return True
            if book is not None and pool is not None:
                book.stage_chunks(rid, [(item.number, item.rows, item.sha256)])
                pool.add(item)
            item = feed.chunks.get_nowait()
    except queue.Empty:
        return False


def _finish(pool: JobPool | None) -> None:
    """Send nothing more; let the chunks in flight end (each records its own outcome)."""
    if pool is None:
        return
    pool.drop_pending()
    while pool.inflight:
        pool.step(None)
