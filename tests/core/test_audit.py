"""The check at the target after a load: records the jobs created weighed against the rows
loaded (``judge``), the chain of runs read from a real ledger, and what the summary says."""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

import pytest

from hubload.audit import NOT_NEEDED, Audit, AuditStatus, judge
from hubload.chain_audit import ThisRun, audit, exempt
from hubload.jobs import JobState, JobStatus
from hubload.ledger import ChunkState, Ledger, RowOutcome, RowRecord, RunStatus
from hubload.operations import Operation, OperationKind
from hubload.summary import Summary
from hubload.targets.base import Target
from tests.core.test_ledger import run

INSERT = Operation(kind=OperationKind.INSERT)


def test_records_weighed_against_rows() -> None:
    assert judge(loaded=10, unknown=0, records=10, jobs=2, doubled=[]).status is (
        AuditStatus.CONFIRMED
    )
    twice = judge(loaded=10, unknown=0, records=13, jobs=3, doubled=[])
    assert twice.status is AuditStatus.DOUBLED and twice.note.startswith("3 row(s) loaded twice")
    named = judge(loaded=10, unknown=0, records=12, jobs=3, doubled=[9, 4])
    assert "2 row(s) loaded twice (lines 4, 9)" in named.note
    # Rows of unknown fate may be at the target unbeknown to the ledger: not a duplicate...
    assert judge(loaded=10, unknown=3, records=12, jobs=3, doubled=[]).status is (
        AuditStatus.UNSETTLED
    )
    # ... unless there are more extra records than such rows.
    assert judge(loaded=10, unknown=1, records=12, jobs=3, doubled=[]).status is (
        AuditStatus.DOUBLED
    )
    assert judge(loaded=10, unknown=0, records=9, jobs=2, doubled=[]).status is AuditStatus.SHORT


@pytest.mark.parametrize(
    ("verdict", "reconciles"),
    [
        (NOT_NEEDED, True),
        (Audit(AuditStatus.CONFIRMED, "ok"), True),
        (Audit(AuditStatus.UNCHECKED, "not checked at the target: a job is gone"), None),
        (Audit(AuditStatus.UNSETTLED, "2 of the 3 rows of unknown fate"), None),
        (Audit(AuditStatus.DOUBLED, "1 row(s) loaded twice"), False),
    ],
)
def test_the_summary_never_says_it_reconciles_what_the_target_could_not_confirm(
    verdict: Audit, reconciles: bool | None
) -> None:
    fields = {"run_id": "r", "file": "f", "target": "t", "object": "o", "operation": "insert"}
    counts = {"read": 3, "staged": 3, "succeeded": 3, "rejected": 0, "failed": 0}
    summary = Summary(**fields, dry_run=False, **counts, audit=verdict)
    assert summary.reconciles is reconciles
    assert summary.to_dict()["reconciles"] is reconciles
    assert summary.to_dict()["audit"]["status"] == verdict.status.value


class Jobs:
    """A target that knows only its jobs' counts (the audit asks nothing else)."""

    def __init__(self, strays: dict[str, float] | None = None, **created: tuple[int, int]) -> None:
        self.created = created
        self.strays = strays or {}
        self.asked: list[str] = []

    def status(self, job_id: str) -> JobStatus:
        self.asked.append(job_id)
        records, failed = self.created[job_id]
        return JobStatus(job_id, JobState.COMPLETED, "COMPLETED", records, failed)

    def stray_jobs(
        self, object_name: str, windows: list[tuple[float, float | None]], known: frozenset[str]
    ) -> list[str]:
        return [
            job
            for job, made in self.strays.items()
            if job not in known
            and any(made >= start and (end is None or made <= end) for start, end in windows)
        ]


@pytest.fixture
def book(tmp_path: Path) -> Ledger:
    """Run A loaded lines 1-5 in job a1, lines 4 and 5 failing; reprocess run B loaded them
    (lines 4 and 5 of the file) in job b1."""
    book = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    book.start_run(run("A"))
    book.stage_chunks("A", [(1, 5, "h")])
    book.mark_chunk("A", 1, ChunkState.SUBMITTING)
    book.mark_chunk("A", 1, ChunkState.DONE, job_id="a1")
    book.record_rows("A", [RowRecord(line, RowOutcome.FAILED, "X:y:--") for line in (4, 5)])
    book.finish_run("A", RunStatus.PARTIAL, read=5)
    book.start_run(run("B", "A"))
    book.claim_rows("A", [4, 5], "B")
    book.record_lineage("B", [(2, 4), (3, 5)])
    book.stage_chunks("B", [(1, 2, "h")])
    book.mark_chunk("B", 1, ChunkState.SUBMITTING)
    book.mark_chunk("B", 1, ChunkState.DONE, job_id="b1")
    return book


def test_a_reprocess_run_that_loaded_each_row_once_is_confirmed(book: Ledger) -> None:
    assert exempt(book, "B", INSERT, resent=False) is None  # two runs of one file: asked
    target = Jobs(a1=(5, 2), b1=(2, 0))
    verdict = audit(
        book, cast(Target, target), ThisRun("B", read=2, left={}, object_name="Contact")
    )
    assert verdict.status is AuditStatus.CONFIRMED, verdict.note
    assert (verdict.records, verdict.loaded, verdict.jobs) == (5, 5, 2)
    assert sorted(target.asked) == ["a1", "b1"]


def test_a_run_that_loads_again_what_its_reprocess_run_loaded_is_doubled(book: Ledger) -> None:
    """Issue 10's case: the reprocess run B loaded lines 4 and 5; the first run, taken up
    again, sent its chunk again (job a2) and loaded them too."""
    book.resolve_upwards("B", [4, 5])
    book.finish_run("B", RunStatus.COMPLETED, read=2)
    book.mark_chunk("A", 1, ChunkState.SUBMITTING)
    book.mark_chunk("A", 1, ChunkState.DONE, job_id="a2")
    target = Jobs(a1=(5, 2), a2=(5, 0), b1=(2, 0))
    verdict = audit(
        book, cast(Target, target), ThisRun("A", read=5, left={}, object_name="Contact")
    )
    assert verdict.status is AuditStatus.DOUBLED
    assert "5 row(s) loaded twice (among them lines 4, 5)" in verdict.note
    assert (verdict.records, verdict.loaded) == (10, 5)


def test_no_check_where_no_row_could_load_twice(book: Ledger, tmp_path: Path) -> None:
    upsert = Operation(kind=OperationKind.UPSERT, external_id="Email")
    assert exempt(book, "B", upsert, resent=True) == Audit(
        AuditStatus.NOT_NEEDED, "an upsert cannot load a row twice"
    )
    alone = Ledger(f"sqlite:///{tmp_path / 'other.db'}")
    alone.start_run(run("C"))
    alone.stage_chunks("C", [(1, 5, "h")])
    alone.mark_chunk("C", 1, ChunkState.SUBMITTING)
    alone.mark_chunk("C", 1, ChunkState.DONE, job_id="c1")
    assert exempt(alone, "C", INSERT, resent=False) is NOT_NEEDED
    assert exempt(alone, "C", INSERT, resent=True) is None  # healing sent rows again
    alone.mark_chunk("C", 1, ChunkState.SUBMITTING)  # the chunk sent twice
    assert exempt(alone, "C", INSERT, resent=False) is None


def test_a_run_of_the_chain_still_running_leaves_the_check_undone(book: Ledger) -> None:
    verdict = audit(
        book, cast(Target, Jobs()), ThisRun("A", read=5, left={}, object_name="Contact")
    )
    assert verdict.status is AuditStatus.UNCHECKED and "run B" in verdict.note


def test_rows_found_at_the_target_are_counted_once_by_the_job_that_made_them(
    tmp_path: Path,
) -> None:
    """A lost upload (chunk 2) settled by finding its rows by key: the job that made them is
    one no run recorded, which the target lists. Its records are those rows, not more."""
    book = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    book.start_run(run("C"))
    book.stage_chunks("C", [(1, 5, "h1"), (2, 5, "h2")])
    book.mark_chunk("C", 1, ChunkState.SUBMITTING)
    book.mark_chunk("C", 1, ChunkState.DONE, job_id="c1")
    for _ in range(2):
        book.mark_chunk("C", 2, ChunkState.SUBMITTING)
    book.mark_chunk("C", 2, ChunkState.FOUND, succeeded=5, failed=0)
    assert exempt(book, "C", INSERT, resent=False) is None
    target = Jobs({"lost": time.time(), "c1": time.time()}, c1=(5, 0), lost=(5, 0))
    verdict = audit(book, cast(Target, target), ThisRun("C", 10, {}, object_name="Contact"))
    assert verdict.status is AuditStatus.CONFIRMED, verdict.note
    assert (verdict.records, verdict.loaded, verdict.jobs) == (10, 10, 2)
    # The same job made twice (the chunk sent again besides): a duplicate, the job named.
    target.strays["again"] = time.time()
    target.created["again"] = (5, 0)
    verdict = audit(book, cast(Target, target), ThisRun("C", 10, {}, object_name="Contact"))
    assert verdict.status is AuditStatus.DOUBLED and "by job(s) again, lost" in verdict.note
    # A job made before the run began is another load's.
    target.strays["again"] = time.time() - 3600
    verdict = audit(book, cast(Target, target), ThisRun("C", 10, {}, object_name="Contact"))
    assert verdict.status is AuditStatus.CONFIRMED, verdict.note
