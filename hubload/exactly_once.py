"""Write-ahead submission: a chunk is sent at most once unless the target shows it never arrived.

Before an upload the ledger marks the chunk ``submitting``; after it, ``submitted`` with the job
id. A chunk found ``submitted`` (a retried or resumed run) is polled, never sent again. A chunk
found ``submitting`` or ``unknown`` (a crash, or an answer lost on the way) has an unknown
outcome: an upsert is sent again (harmless); an insert is sent again only when a bulk query by
the user's match key finds none of its rows at the target; when it finds all of them the chunk
counts as loaded; otherwise, or without a match key, it waits for a person's decision.
"""

from __future__ import annotations

import csv
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hubload.client import BulkClient, JobRef, JobState, PollPolicy, RetryPolicy
from hubload.errors import ApiError, HubloadError, SubmissionUnknownError
from hubload.ledger import Ledger
from hubload.outcomes import NEEDS_DECISION, ChunkOutcome, chunk_failed
from hubload.staging import StagedChunk
from hubload.submission import Operation, submit_chunk

log = logging.getLogger("hubload.exactly_once")

FOUND_AT_TARGET = "FOUND_AT_TARGET"
_QUERY_BATCH = 100
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
Verdict = Literal["all", "none", "some"]


@dataclass(frozen=True)
class TargetCheck:
    """How an unknown upload is settled: the key to look rows up by, and how long to let a
    job that the target may have received finish before looking."""

    match_key: str | None = None
    settle_seconds: float = 10.0


def rows_at_target(
    client: BulkClient, object_name: str, chunk: StagedChunk, key: str, policy: PollPolicy
) -> tuple[Verdict, int]:
    """How many of the chunk's rows the target holds, found by a bulk query on ``key``.

    A row without a key value cannot be found, so it makes the verdict ``some`` at best.

    Raises:
        ValueError: the key or object name is not a plain identifier.
        ApiError, JobTimeoutError: the query failed.
    """
    for name in (key, object_name):
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"not a field or object name: {name!r}")
    with chunk.path.open(encoding="utf-8", newline="") as stream:
        values = [row.get(key) or "" for row in csv.DictReader(stream)]
    wanted = {v for v in values if v}
    found: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), _QUERY_BATCH):
        batch = ordered[start : start + _QUERY_BATCH]
        listed = ", ".join("'" + v.replace("'", "''") + "'" for v in batch)
        # CEQL for the target: values are quoted; the names were checked as identifiers.
        query = f"select {key} from {object_name} where {key} in ({listed})"  # noqa: S608
        for record in client.query_records(query, object_name, policy):
            value = record.get(key)
            if isinstance(value, str):
                found.add(value)
    present = sum(1 for v in values if v and v in found)
    if present == len(values) and values:
        return "all", present
    if present == 0 and all(values):
        return "none", 0
    return "some", present


class ChunkSubmitter:
    """Submits a run's chunks exactly once, keeping the ledger ahead of the target."""

    def __init__(
        self,
        ledger: Ledger,
        client: BulkClient,
        *,
        run_id: str,
        object_name: str,
        operation: Operation,
        check: TargetCheck,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll: PollPolicy | None = None,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.run_id = run_id
        self.object_name = object_name
        self.operation = operation
        self.check = check
        self.retry = retry
        self.sleep = sleep
        self.poll = poll or PollPolicy(budget=300)

    def submit(self, chunk: StagedChunk) -> JobRef | ChunkOutcome:
        """The chunk's job (new, or the one recorded), or its outcome when it was settled
        without a job (found at the target, or left for a decision).

        Raises:
            ApiError: the target refused the upload, or an upsert's upload still failed after
                its retries (the chunk is marked ``failed``: its rows may be sent again later).
            SubmissionUnknownError: something else broke after the chunk was marked
                ``submitting`` (its fate is unknown; resume settles it).
        """
        record = self.ledger.chunk(self.run_id, chunk.number)
        if record is not None and record.state in {"submitted", "done"} and record.job_id:
            log.info(
                "chunk %d: already submitted as job %s, not sent again", chunk.number, record.job_id
            )
            # The wait step reads its status; nothing is sent here.
            return JobRef(job_id=record.job_id, state=JobState.UNKNOWN, raw_status="RECORDED")
        if record is not None and record.state == "found":
            return ChunkOutcome(
                chunk=chunk.number, rows=chunk.rows, job_id=None, status=FOUND_AT_TARGET
            )
        if record is not None and record.state in {"submitting", "unknown"}:
            settled = self._settle(
                chunk, f"a previous attempt left chunk {chunk.number} {record.state}"
            )
            if settled is not None:
                return settled
        elif self._checks_target and (record is None or record.preexisting is None):
            self._count_preexisting(chunk)
        for _ in range(3):
            self.ledger.mark_chunk(self.run_id, chunk.number, "submitting")
            try:
                job = self._upload(chunk)
            except SubmissionUnknownError as exc:
                self.ledger.mark_chunk(self.run_id, chunk.number, "unknown", note=str(exc))
                settled = self._settle(chunk, str(exc))
                if settled is not None:
                    return settled
                continue
            self.ledger.mark_chunk(self.run_id, chunk.number, "submitted", job_id=job.job_id)
            return job
        return self._undecided(chunk, "the upload's answer was lost three times")

    @property
    def _checks_target(self) -> bool:
        return self.check.match_key is not None and not self.operation.resend_is_safe

    def _upload(self, chunk: StagedChunk) -> JobRef:
        try:
            return submit_chunk(
                self.client,
                self.object_name,
                chunk,
                run_id=self.run_id,
                operation=self.operation,
                policy=self.retry,
                sleep=self.sleep,
            )
        except ApiError as exc:
            # Refused, or still failing after the retries. An insert's lost answer raised
            # SubmissionUnknownError instead; an upsert may be sent again: nothing is unknown.
            self.ledger.mark_chunk(self.run_id, chunk.number, "failed", note=str(exc))
            raise

    def _count_preexisting(self, chunk: StagedChunk) -> None:
        """Before the first upload: how many of the chunk's rows the target already holds by
        the match key, so that finding them after a lost answer proves nothing."""
        assert self.check.match_key is not None
        _, present = rows_at_target(
            self.client, self.object_name, chunk, self.check.match_key, self.poll
        )
        self.ledger.mark_chunk(self.run_id, chunk.number, "staged", preexisting=present)

    def _settle(self, chunk: StagedChunk, why: str) -> ChunkOutcome | None:
        """Settle an unknown upload: None means the chunk may (and must) be sent again.

        All rows found counts as loaded when none was there before the first upload (or when
        that was not counted: the key is the user's word that it identifies records).
        """
        if self.operation.resend_is_safe:
            return None
        key = self.check.match_key
        if key is None:
            return self._undecided(chunk, f"{why}; give a match key (e.g. --match-key Email)")
        record = self.ledger.chunk(self.run_id, chunk.number)
        before = record.preexisting if record is not None else None
        self.sleep(self.check.settle_seconds)
        try:
            verdict, present = rows_at_target(self.client, self.object_name, chunk, key, self.poll)
        except HubloadError as exc:
            return self._undecided(chunk, f"{why}; the target could not be checked: {exc}")
        log.warning(
            "chunk %d: %s; %d of %d rows found at the target by %s",
            chunk.number,
            why,
            present,
            chunk.rows,
            key,
        )
        if verdict == "none":
            return None
        if verdict == "all" and not before:
            self.ledger.mark_chunk(
                self.run_id, chunk.number, "found", succeeded=chunk.rows, failed=0, note=why
            )
            return ChunkOutcome(
                chunk=chunk.number, rows=chunk.rows, job_id=None, status=FOUND_AT_TARGET
            )
        found = f"{present} of {chunk.rows} rows found at the target by {key}"
        if before:
            found += f", {before} of them there before the first upload"
        return self._undecided(chunk, f"{why}; {found}")

    def _undecided(self, chunk: StagedChunk, why: str) -> ChunkOutcome:
        self.ledger.mark_chunk(self.run_id, chunk.number, "unknown", note=why)
        return chunk_failed(
            chunk,
            f"{NEEDS_DECISION}: {why}; not sent again so that no row loads twice",
            job_id=None,
            status="UNKNOWN",
        )
