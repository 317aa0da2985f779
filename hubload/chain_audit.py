"""After a load, the target asked whether any row of the file was loaded twice.

Counts alone cannot see a duplicate: a run that sends a row its reprocess run already loaded
still has every row succeeded, rejected or failed once. What can see it is the target's own
record of the jobs: every job the file's chain of runs (the first run, its resumes and Retries,
its reprocess runs) ever became, and every job the target lists on the object, made during one
of the chain's upload attempts, that no run recorded (an upload whose answer was lost and was
taken as never made), each with the records it created, against the rows the chain counts as
loaded, line by line. More records than rows is a row loaded twice (beyond the rows whose fate
is still unknown, which the target may hold unbeknown to the ledger); fewer is a row counted as
loaded that no job loaded.

Only inserts can load a row twice (an upsert or update sets the same values again), and only
when some row was sent more than once: in more than one run of the chain, in a chunk sent
again, healed, or settled by key. A load that sent each row once, in one job, is checked by its
jobs' own counts (the reconciliation does that): the target is not asked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hubload.audit import NOT_NEEDED, Audit, AuditStatus, judge
from hubload.errors import HubloadError, NotFoundError
from hubload.exactly_once import SETTLE_RETRY
from hubload.jobs import JobState
from hubload.ledger import ChunkState, Ledger, RowOutcome, RunRecord, RunStatus
from hubload.operations import Operation, OperationKind
from hubload.targets.base import Target

_FINISHED = {RunStatus.COMPLETED, RunStatus.PARTIAL}
ATTEMPT_SPAN = 600.0
"""Seconds after an upload attempt began within which its job may appear (the upload's
request, its body sent, answered or not)."""


@dataclass(frozen=True)
class ThisRun:
    """The run being finished, as its reports (not yet in the ledger) say."""

    run_id: str
    read: int
    left: Mapping[int, RowOutcome]
    """Its rows that did not load, by the original file's lines."""
    object_name: str
    """The target object, as the target names it."""


@dataclass
class _Chain:
    root: RunRecord
    runs: list[RunRecord]
    current: ThisRun
    unknown: set[int] = field(default_factory=set)


def exempt(book: Ledger, run_id: str, operation: Operation, *, resent: bool) -> Audit | None:
    """The verdict when the target need not be asked: the operation cannot load a row twice,
    or each row of the file was sent once, in one job (``resent``: the run sent rows again
    itself, healing). None when the target must be asked."""
    if operation.kind is not OperationKind.INSERT:
        return Audit(AuditStatus.NOT_NEEDED, f"an {operation.kind} cannot load a row twice")
    root = _root(book, run_id)
    if root is None:
        return NOT_NEEDED  # a dry run: nothing was sent
    if resent or book.children(root.run_id):
        return None
    chunks = book.chunks(run_id)
    return (
        None if any(c.attempts > 1 or c.state is ChunkState.FOUND for c in chunks) else NOT_NEEDED
    )


def audit(
    book: Ledger, target: Target, run: ThisRun, *, sleep: Callable[[float], None] = time.sleep
) -> Audit:
    """Ask the target about every job of ``run``'s chain of runs, and weigh the records they
    created against the rows the chain counts as loaded.

    Never raises for the target: a check that cannot be made says so (``UNCHECKED``).
    """
    root = _root(book, run.run_id)
    if root is None:
        return _unchecked(f"run {run.run_id} is not in the ledger")
    chain = _Chain(root=root, runs=_descendants(book, root), current=run)
    busy = [
        r.run_id for r in chain.runs if r.run_id != run.run_id and r.status is RunStatus.RUNNING
    ]
    if busy:
        return _unchecked(f"run {busy[0]} of the same file is still running")
    if root.run_id != run.run_id and root.read is None:
        return _unchecked(f"run {root.run_id} has not finished")
    loaded, doubled = _loaded_rows(book, chain)
    try:
        tally = _records(book, target, chain, sleep)
    except _UncheckableError as exc:
        return _unchecked(str(exc))
    return judge(
        loaded=loaded,
        unknown=len(chain.unknown),
        records=tally.records,
        jobs=tally.jobs,
        doubled=doubled,
        stray=tally.stray,
    )


def _root(book: Ledger, run_id: str) -> RunRecord | None:
    """The first run of ``run_id``'s file (the run itself, unless it is a reprocess run)."""
    record = book.run(run_id, exact=True)
    while record is not None and record.parent_run_id:
        parent = book.run(record.parent_run_id, exact=True)
        if parent is None:
            break
        record = parent
    return record


def _descendants(book: Ledger, root: RunRecord) -> list[RunRecord]:
    runs, todo = [], [root]
    while todo:
        one = todo.pop()
        runs.append(one)
        todo += book.children(one.run_id)
    return runs


class _UncheckableError(Exception):
    pass


def _unchecked(why: str) -> Audit:
    return Audit(AuditStatus.UNCHECKED, f"not checked at the target: {why}")


def _loaded_rows(book: Ledger, chain: _Chain) -> tuple[int, set[int]]:
    """The original file's rows the chain counts as loaded (each once), and the lines the
    ledger itself shows loaded by two runs. Fills ``chain.unknown`` with the rows not loaded
    whose fate is unknown (or held by a run that stopped before recording them)."""
    current = chain.current
    recorded = {r.line: r for r in book.rows(chain.root.run_id, unresolved=False)}
    resolved = {line: r.resolved_by for line, r in recorded.items() if r.resolved_by}
    stopped = {r.run_id for r in chain.runs if r.status not in _FINISHED} - {current.run_id}
    if chain.root.run_id == current.run_id:
        read, left = current.read, set(current.left)
        doubled = set(resolved) - left  # loaded by a later run, and now again by this one
    else:
        read, left = chain.root.read or 0, set(recorded)
        here = set(book.lineage(current.run_id).values()) - set(current.left)
        by_others = {line for line, by in resolved.items() if by != current.run_id}
        doubled = (here - left) | (here & by_others)
        resolved.update(dict.fromkeys(here, current.run_id))
    not_loaded = left - set(resolved)
    unknown = {line for line, outcome in current.left.items() if outcome is RowOutcome.UNKNOWN}
    unknown |= {line for line, r in recorded.items() if r.claimed_by in stopped}
    for run in chain.runs:
        if run.run_id != current.run_id:
            rows = book.rows(run.run_id)
            unknown |= {r.line for r in rows if r.outcome is RowOutcome.UNKNOWN}
    if chain.root.run_id != current.run_id:
        unknown |= {line for line, r in recorded.items() if r.outcome is RowOutcome.UNKNOWN}
    chain.unknown = unknown & not_loaded
    return read - len(not_loaded), doubled


@dataclass(frozen=True)
class _Tally:
    records: int
    jobs: int
    stray: dict[str, int]


def _records(book: Ledger, target: Target, chain: _Chain, sleep: Callable[[float], None]) -> _Tally:
    """The records every job of the chain created, as the target tells them now, with those of
    jobs the target lists on the object while a run of the chain ran that hubload never
    recorded (an upload whose answer was lost); how many jobs were asked.

    A chunk settled by finding its rows at the target (``found``) adds nothing of its own: its
    rows were made by one of these jobs (Salesforce records every job before sending it data;
    on Open Connectors the job it made is one the listing shows)."""
    records, jobs = 0, 0
    for run in chain.runs:
        for job_ids in book.chunk_jobs(run.run_id).values():
            for job_id in sorted(job_ids):
                records += _created(target, job_id, sleep)
                jobs += 1
    stray = {j: _created(target, j, sleep) for j in _strays(book, target, chain, sleep)}
    stray = {job_id: made for job_id, made in stray.items() if made}
    return _Tally(records + sum(stray.values()), jobs + len(stray), stray)


def _strays(
    book: Ledger, target: Target, chain: _Chain, sleep: Callable[[float], None]
) -> list[str]:
    """Jobs on the object that no run recorded, made during an upload attempt of the chain
    (while a run holds the object, no other load of it uploads)."""
    starts = sorted(_epoch(t) for run in chain.runs for t in book.attempt_times(run.run_id))
    windows: list[tuple[float, float | None]] = []
    for start in starts:
        if windows and start <= (windows[-1][1] or 0):
            windows[-1] = (windows[-1][0], start + ATTEMPT_SPAN)
        else:
            windows.append((start, start + ATTEMPT_SPAN))
    if not windows:
        return []
    known = book.job_ids(chain.root.target, chain.current.object_name)
    try:
        return SETTLE_RETRY.run(
            lambda: target.stray_jobs(chain.current.object_name, windows, known),
            sleep,
            label="jobs: ",
        )
    except HubloadError as exc:
        raise _UncheckableError(f"the target's jobs could not be listed: {exc}") from None


def _epoch(moment: datetime) -> float:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.timestamp()


def _created(target: Target, job_id: str, sleep: Callable[[float], None]) -> int:
    try:
        status = SETTLE_RETRY.run(lambda: target.status(job_id), sleep, label=f"job {job_id}: ")
    except NotFoundError:
        raise _UncheckableError(f"job {job_id} is no longer at the target") from None
    except HubloadError as exc:
        raise _UncheckableError(f"job {job_id}: {exc}") from None
    if not status.is_terminal:
        raise _UncheckableError(f"job {job_id} has not finished ({status.raw_status})")
    if status.records_count is None:
        if status.state is JobState.COMPLETED:
            raise _UncheckableError(
                f"the target does not say how many records job {job_id} created"
            )
        return 0  # a job the platform failed loaded nothing
    return max(0, status.records_count - (status.failed_count or 0))
