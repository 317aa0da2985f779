"""Worker threads that run jobs from a queue: CREATED -> RUNNING -> COMPLETED | ERROR.

Jobs of both faces alike: a Salesforce ingest job waits OPEN for its data and its close, then
is queued as CREATED (UploadComplete); what differs per face is in `sandbox.work`.

An upload's records, errors and outcome commit in one transaction of the records database,
then the job is marked COMPLETED. Cancelling or stopping rolls the transaction back, so a job
left RUNNING by a stop is redone from scratch on restart. Uploads write one at a time (SQLite
has one writer); the lock is taken in Python so a waiting worker can still be stopped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sandbox.callbacks import CallbackSender
from sandbox.catalogue import resolve_object
from sandbox.config import SandboxConfig
from sandbox.exceptions import JobInterruptedError, QueryError, UnprocessableFileError
from sandbox.faults import job_rng
from sandbox.jobs import Face, Job, JobStatus, callback_body, salesforce_timestamp
from sandbox.processor import Faults, process_upload
from sandbox.querying import result_path, run_query
from sandbox.store import Store
from sandbox.work import (
    NO_DATA_MESSAGE,
    failure_message,
    job_query,
    line_ending_error,
    simulated_failure,
    upload_plan,
)

logger = logging.getLogger("sandbox.runner")
_LOCK_POLL_S = 0.2


class JobRunner:
    """Owns the job queue and the worker threads."""

    def __init__(
        self, store: Store, config: SandboxConfig, callbacks: CallbackSender, files_dir: Path
    ) -> None:
        self.store = store
        self.config = config
        self.callbacks = callbacks
        self.files_dir = files_dir
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards the two dicts below, briefly
        self._cancels: dict[int, threading.Event] = {}
        self._not_before: dict[int, float] = {}
        self._write_lock = threading.Lock()  # one upload writes records at a time
        self._commit_lock = threading.Lock()  # a commit and a cancel never interleave
        self._threads = [
            threading.Thread(target=self._work, name=f"sandbox-worker-{n}", daemon=True)
            for n in range(config.workers)
        ]

    def start(self) -> None:
        """Settle or re-queue the jobs a previous run left unfinished, then start the workers."""
        for job_id in self.store.unfinished_jobs():
            outcome = self.store.outcome(job_id)
            if outcome is None:
                self.submit(job_id)
            elif self.store.set_status(
                job_id, JobStatus.COMPLETED, records=outcome[0], failed=outcome[1]
            ):
                self._finish(job_id)  # stored before the stop, marked now
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers; an upload being processed is rolled back and stays RUNNING."""
        self._stop.set()
        with self._lock:
            events = list(self._cancels.values())
        for event in events:
            event.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def submit(self, job_id: int) -> None:
        """Queue a job; it starts no sooner than `processing_delay_ms` from now."""
        with self._lock:
            self._cancels.setdefault(job_id, threading.Event())
            self._not_before[job_id] = time.monotonic() + self.config.processing_delay_ms / 1000
        self._queue.put(job_id)

    def cancel(self, job_id: int) -> bool:
        """Cancel an unfinished job; False when it had already ended.

        A worker processing the job notices between two chunks and rolls back.
        """
        with self._lock:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()
        with self._commit_lock:
            cancelled = self.store.set_status(job_id, JobStatus.CANCELLED)
        if cancelled:
            self._finish(job_id)
        return cancelled

    # the worker side ------------------------------------------------------------------------

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            if self._stop.is_set():
                return
            try:
                self._run(job_id)
            except Exception:
                logger.exception("job %s failed inside the sandbox", job_id)
                self._error(job_id, "Internal error in the sandbox")

    def _run(self, job_id: int) -> None:
        with self._lock:
            cancel = self._cancels.setdefault(job_id, threading.Event())
            not_before = self._not_before.pop(job_id, 0.0)
        job = self.store.job(job_id)
        if job is None or job.status.is_terminal():
            return
        wait = not_before - time.monotonic()
        if wait > 0 and cancel.wait(wait):
            return  # cancelled (or stopping) while waiting to start
        if job.status is JobStatus.CREATED and not self.store.set_status(job_id, JobStatus.RUNNING):
            return
        rng = job_rng(self.config.seed, job_id)
        stuck = rng.random() < self.config.stuck_job_rate
        failing = rng.random() < self.config.job_error_rate
        if stuck:
            return  # stays RUNNING until cancelled (or redone by a restart)
        if failing:
            self._error(job_id, simulated_failure(job))
            return

        def should_stop() -> bool:
            return cancel.is_set() or self._stop.is_set()

        if job.kind == "upload":
            lock_rate = 0.0 if job.serial else self.config.lock_error_rate
            faults = Faults(lock_rate, rng if lock_rate else None)
            if self._acquire_write_lock(should_stop):
                try:
                    self._upload(job, faults, should_stop)
                    # Once the job reads COMPLETED (its client need not wait for the copy into
                    # the database and its fsyncs), but before the next upload writes: a write
                    # that overtook the checkpoint would keep the WAL from restarting, and it
                    # would grow by a job's pages each time.
                    self.store.checkpoint_records()
                finally:
                    self._write_lock.release()
        else:
            self._query(job, should_stop)

    def _acquire_write_lock(self, should_stop: Callable[[], bool]) -> bool:
        while not self._write_lock.acquire(timeout=_LOCK_POLL_S):
            if should_stop():
                return False
        return True

    def _upload(self, job: Job, faults: Faults, should_stop: Callable[[], bool]) -> None:
        spec = resolve_object(job.hub, job.object_name)
        if spec is None or job.file is None:
            salesforce = job.face is Face.SALESFORCE and spec is not None
            self._error(
                job.id, NO_DATA_MESSAGE if salesforce else "The job's object or file is unknown"
            )
            return
        try:
            wrong_ending = line_ending_error(job, Path(job.file))
        except FileNotFoundError:
            wrong_ending = "The uploaded file is no longer available"
        if wrong_ending is not None:
            self._error(job.id, wrong_ending)
            return
        identifier, options = upload_plan(job)
        conn = self.store.records_connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcome = process_upload(
                conn,
                spec=spec,
                job_id=job.id,
                path=Path(job.file),
                identifier=identifier,
                now=salesforce_timestamp(),
                faults=faults,
                should_stop=should_stop,
                options=options,
            )
            self.store.save_outcome(conn, job.id, outcome.records, outcome.failed)
            with self._commit_lock:
                if should_stop():
                    raise JobInterruptedError
                conn.execute("COMMIT")
                self.store.set_status(
                    job.id, JobStatus.COMPLETED, records=outcome.records, failed=outcome.failed
                )
        except UnprocessableFileError as exc:
            conn.execute("ROLLBACK")
            self._error(job.id, failure_message(job, exc))
            return
        except FileNotFoundError:
            conn.execute("ROLLBACK")
            self._error(job.id, "The uploaded file is no longer available")
            return
        except JobInterruptedError:
            conn.execute("ROLLBACK")
            return
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._finish(job.id)

    def _query(self, job: Job, should_stop: Callable[[], bool]) -> None:
        try:
            query = job_query(job)
        except QueryError as exc:
            self._error(job.id, str(exc))
            return
        out = result_path(self.files_dir, job.id)
        count = run_query(self.store.records_connection(), query, out)
        with self._commit_lock:
            completed = not should_stop() and self.store.set_status(
                job.id, JobStatus.COMPLETED, records=count
            )
        if not completed:
            out.unlink(missing_ok=True)
            return
        self._finish(job.id)

    def _error(self, job_id: int, message: str) -> None:
        if self.store.set_status(job_id, JobStatus.ERROR, message=message):
            self._finish(job_id)

    def _finish(self, job_id: int) -> None:
        """After a job ended: forget its cancel flag, drop its upload, send its callback."""
        with self._lock:
            self._cancels.pop(job_id, None)
            self._not_before.pop(job_id, None)
        job = self.store.job(job_id)
        if job is None:
            return
        # A Salesforce job's file stays until the job is deleted: its results are read from it.
        if job.kind == "upload" and job.file and job.face is not Face.SALESFORCE:
            Path(job.file).unlink(missing_ok=True)
        if job.callback_url:
            self.callbacks.send(job.callback_url, callback_body(job, self.config.complete_spelling))
