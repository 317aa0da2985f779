"""Submitting chunks with safe retries, tying record errors to rows, and the reconciliation."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hubload.csvfile import CsvSource, detect_dialect
from hubload.errors import ConfigError, ReconciliationError, RetriableError, SubmissionUnknownError
from hubload.healing import HEAL_BASE
from hubload.http import RetryPolicy
from hubload.job_results import RowMatcher, _count_mismatch, _place_failures, _write_successes
from hubload.jobs import JobStatus, PollPolicy
from hubload.operations import Operation, OperationKind
from hubload.outcomes import ChunkOutcome, FailedRow, Tally, chunk_failed
from hubload.records import RecordError, RecordSuccess
from hubload.row_reports import write_failed_report, write_success_report
from hubload.staging import StagedChunk, prepare
from hubload.submission import job_path_name, submit_chunk
from hubload.summary import Summary
from schemas.catalog import FieldSpec, ObjectSpec
from schemas.mapping import resolve
from tests.conftest import SandboxFactory, target_for

CONTACT = ObjectSpec.of(
    "Contact",
    [
        FieldSpec("LastName", required=True, length=80),
        FieldSpec("Email", native_type="email", length=80),
    ],
)


def staged(tmp_path: Path, text: str, chunk_size: int = 100) -> list[StagedChunk]:
    path = tmp_path / "in.csv"
    path.write_text(text)
    with CsvSource(path, detect_dialect(path)) as source:
        mapping = resolve(None, CONTACT, source.header)
        return prepare(source, mapping, chunk_size, tmp_path / "run").chunks


def test_staged_chunk_is_the_exact_upload_with_a_sidecar(tmp_path: Path) -> None:
    (chunk,) = staged(tmp_path, 'Email,LastName,Extra\na@x.com,"Smith, Jr",z\nbad,Doe,z\n,Lee,z\n')
    assert chunk.path.read_text() == '"Email","LastName"\n"a@x.com","Smith, Jr"\n,"Lee"\n'
    assert list(csv.reader(chunk.sidecar.read_text().splitlines())) == [
        ["2", "a@x.com", "Smith, Jr", "z"],
        ["4", "", "Lee", "z"],
    ]
    assert chunk.rows == 2 and len(chunk.sha256) == 64


def test_operation_rules() -> None:
    assert Operation.of("upsert", "Email", serial=True) == Operation(
        OperationKind.UPSERT, "Email", serial=True
    )
    assert Operation.of("hard_delete").kind is OperationKind.HARD_DELETE  # Data Loader's name
    with pytest.raises(ConfigError, match="external id"):
        Operation.of("upsert")
    with pytest.raises(ConfigError, match="external id"):
        Operation.of("insert", "Email")
    with pytest.raises(ConfigError, match="unknown operation 'merge'"):
        Operation.of("merge")
    safe = {
        k
        for k in OperationKind
        if Operation.of(k.value, "E" if k == "upsert" else None).resend_is_safe
    }
    assert safe == {OperationKind.UPSERT, OperationKind.UPDATE}
    assert job_path_name("run-1", 7) == "run-1-chunk-00007.csv"


def test_submission_retries_server_errors(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb(seed=5, error_rate=0.5)
    chunks = staged(tmp_path, "LastName\n" + "".join(f"L{i}\n" for i in range(8)), chunk_size=1)
    slept: list[float] = []
    policy = RetryPolicy(attempts=30, base_delay=0.01)
    quick = PollPolicy(budget=20, initial_interval=0.02)
    target = target_for(sandbox, attempts=30, base_delay=0.01)
    for chunk in chunks:
        job = submit_chunk(
            target,
            "Contact",
            chunk,
            run_id="r",
            operation=Operation(),
            policy=policy,
            sleep=slept.append,
        )
        assert target.wait(job.job_id, quick).records_count == 1
    target.close()
    assert len(slept) >= 2  # half the calls fail: some uploads needed retries
    assert sandbox.store.count_records("helpdesk", "Contact") == 8
    assert sandbox.store.count_jobs() == 8  # a refused upload created no job


def test_lost_insert_is_not_resent_but_lost_upsert_is(
    start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(lost_response_rate=1.0)
    (chunk,) = staged(tmp_path, "LastName,Email\nA,a@x.com\n")
    target = target_for(sandbox)
    with pytest.raises(SubmissionUnknownError) as info:
        submit_chunk(
            target, "Contact", chunk, run_id="r", operation=Operation(), sleep=lambda s: None
        )
    assert info.value.chunk == 1 and info.value.path_name == "r-chunk-00001.csv"
    assert sandbox.store.count_jobs() == 1
    with pytest.raises(RetriableError):
        submit_chunk(
            target,
            "Contact",
            chunk,
            run_id="r",
            operation=Operation.of("upsert", "Email"),
            policy=RetryPolicy(attempts=3, base_delay=0),
            sleep=lambda s: None,
        )
    assert sandbox.store.count_jobs() == 4  # resent twice: safe, an upsert
    target.close()


def test_errors_tied_by_number_then_by_content(tmp_path: Path) -> None:
    (chunk,) = staged(tmp_path, "LastName,Email\nA,a@x.com\nB,b@x.com\nC,c@x.com\n")
    errors = [
        RecordError(2, "X:by number:--", "X"),
        RecordError(None, "Y:by content:--", "Y", record={"LastName": "C", "Email": "c@x.com"}),
        RecordError(99, "Z:matches nothing:--", "Z"),
        RecordError(
            None, "W:same cells, the one left:--", "W", record={"LastName": "B", "Email": "b@x.com"}
        ),
    ]
    placed, orphans = _place_failures(errors, chunk, RowMatcher(chunk))
    assert placed == {2: "X:by number:--", 3: "Y:by content:--"}
    # Row 2 (B) was taken by number: no result may take it again by its cells.
    assert orphans == ["Z:matches nothing:--", "W:same cells, the one left:--"]


def test_identical_rows_take_distinct_positions(tmp_path: Path) -> None:
    (chunk,) = staged(tmp_path, "LastName,Email\nA,a@x.com\nA,a@x.com\nB,b@x.com\n")
    matcher = RowMatcher(chunk)
    same = {"LastName": "A", "Email": "a@x.com"}
    assert [matcher.take(same), matcher.take(same), matcher.take(same)] == [1, 2, None]
    assert matcher.take({"LastName": "B", "Email": "b@x.com"}) == 3


def test_results_missing_a_column_or_of_one_column_are_matched(tmp_path: Path) -> None:
    (chunk,) = staged(tmp_path, "LastName,Email\nA,\nB,b@x.com\n")
    matcher = RowMatcher(chunk)
    # A result that leaves out a column the upload had: that cell counts as empty.
    assert matcher.take({"LastName": "A"}) == 1
    assert matcher.take({"LastName": "B"}) is None  # B's Email is not empty
    assert matcher.take({"Email": "b@x.com", "LastName": "B", "sf__Extra": "x"}) == 2
    (tmp_path / "one").mkdir()
    (one,) = staged(tmp_path / "one", "LastName\nA\nB\n")
    single = RowMatcher(one)
    assert [single.take({"LastName": "B"}), single.take({"LastName": "A"})] == [2, 1]


def test_success_report_in_line_order_with_healed_rows_merged(tmp_path: Path) -> None:
    chunks = staged(tmp_path, "LastName,Email\nA,a@x.com\nB,b@x.com\n=C,c@x.com\n", chunk_size=2)
    # Line 3 (B) failed in chunk 1 and loaded in a healing chunk of its own.
    healing = StagedChunk(HEAL_BASE + 1, tmp_path / "heal.csv", tmp_path / "heal.side", 1, "h")
    healing.sidecar.write_text("3,B,b@x.com\n")
    outcomes = {}
    for chunk, loaded in (
        (chunks[0], {1: "id-a"}),
        (chunks[1], {1: "id-c"}),
        (healing, {1: "id-b"}),
    ):
        successes = tmp_path / f"{chunk.number}.success.csv"
        _write_successes(
            successes, chunk, {p: RecordSuccess(i, True, {}) for p, i in loaded.items()}
        )
        failed = (FailedRow(2, "UNABLE_TO_LOCK_ROW:x:--"),) if chunk is chunks[0] else ()
        outcomes[chunk.number] = ChunkOutcome(
            chunk.number, chunk.rows, "j", "JobComplete", failed_rows=failed, successes=successes
        )

    def report(with_healing: bool) -> list[list[str]]:
        path = tmp_path / "success.csv"
        these = [*chunks, healing] if with_healing else chunks
        count = write_success_report(path, ["LastName", "Email"], these, outcomes)
        rows = list(csv.reader(path.read_text().splitlines()))
        assert count == len(rows) - 1
        return rows

    assert report(with_healing=True) == [
        ["line", "id", "created", "LastName", "Email"],
        ["2", "id-a", "true", "A", "a@x.com"],
        ["3", "id-b", "true", "B", "b@x.com"],
        ["4", "id-c", "true", "'=C", "c@x.com"],  # neutralised for spreadsheets
    ]
    # Without healing chunks, the chunks' rows are joined as written.
    assert [r[0] for r in report(with_healing=False)] == ["line", "2", "4"]


def test_failed_report_and_tally(tmp_path: Path) -> None:
    chunks = staged(tmp_path, "LastName,Email\nA,a@x.com\nB,b@x.com\n=C,c@x.com\n", chunk_size=2)
    outcomes = {
        1: ChunkOutcome(
            1, 2, "j1", "COMPLETED", failed_rows=(FailedRow(2, "DUPLICATE_VALUE:dup:--"),)
        ),
        2: chunk_failed(chunks[1], "JOB_ERROR: vendor", job_id="j2", status="ERROR"),
    }
    path = tmp_path / "failed.csv"
    assert write_failed_report(path, ["LastName", "Email"], chunks, outcomes) == 2
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert [(r["line"], r["LastName"], r["error"]) for r in rows] == [
        ("3", "B", "DUPLICATE_VALUE:dup:--"),
        ("4", "'=C", "JOB_ERROR: vendor"),
    ]
    tally = Tally(read=3, rejected=0, staged=3, outcomes=outcomes)
    assert (tally.succeeded, tally.failed) == (1, 2)
    tally.check(dry_run=False)
    with pytest.raises(ReconciliationError, match="read 4 rows"):
        Tally(read=4, rejected=0, staged=3, outcomes=outcomes).check(dry_run=False)
    with pytest.raises(ReconciliationError, match="have an outcome"):
        Tally(read=3, rejected=0, staged=3, outcomes={1: outcomes[1]}).check(dry_run=False)
    mismatch = {
        1: ChunkOutcome(
            1, 2, "j1", "COMPLETED", count_mismatch="the target counted 3 records, 2 were sent"
        ),
        2: outcomes[2],
    }
    with pytest.raises(ReconciliationError, match="counted 3 records"):
        Tally(read=3, rejected=0, staged=3, outcomes=mismatch).check(dry_run=False)
    # summary.json says so too: the totals add up, yet the run does not reconcile.
    problems = Tally(read=3, rejected=0, staged=3, outcomes=mismatch).problems(dry_run=False)
    counts = {"read": 3, "staged": 3, "succeeded": 1, "rejected": 0, "failed": 2}
    fields = {"run_id": "r", "file": "f", "target": "t", "object": "o", "operation": "insert"}
    assert Summary(**fields, dry_run=False, **counts).reconciles
    summary = Summary(**fields, dry_run=False, **counts, discrepancies=problems)
    assert summary.to_dict()["reconciles"] is False


def test_job_status_mismatch_is_detected(tmp_path: Path) -> None:
    status = JobStatus.from_body(
        {"id": "1", "status": "COMPLETED", "recordsCount": 5, "recordsFailedCount": 1}
    )
    assert _count_mismatch(status, 5, 1) is None
    assert "counted 5 records, 4 were sent" in (_count_mismatch(status, 4, 1) or "")
    assert "counted 1 failures, 0 were listed" in (_count_mismatch(status, 5, 0) or "")
