"""Write-ahead submission without Prefect: the ledger's chunk states against a real sandbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hubload.csvfile import CsvSource, detect_dialect
from hubload.errors import RetriableError
from hubload.exactly_once import (
    FOUND_AT_TARGET,
    NEEDS_DECISION,
    ChunkSubmitter,
    TargetCheck,
    rows_at_target,
)
from hubload.http import RetryPolicy
from hubload.jobs import JobRef, PollPolicy
from hubload.ledger import ChunkState, Ledger, RunKind, RunRecord
from hubload.operations import Operation
from hubload.outcomes import ChunkOutcome, fate_unknown, step_failed
from hubload.staging import StagedChunk, prepare
from hubload.targets import Target
from hubload.targets.open_connectors import OpenConnectorsTarget
from schemas.catalog import FieldSpec, ObjectSpec
from schemas.mapping import resolve
from tests.conftest import SandboxFactory, target_for

CONTACT = ObjectSpec.of("Contact", [FieldSpec("LastName", required=True), FieldSpec("Email")])
QUICK = PollPolicy(budget=30, initial_interval=0.02)


@pytest.fixture
def book(tmp_path: Path) -> Ledger:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.start_run(
        RunRecord(
            run_id="r1",
            kind=RunKind.LOAD,
            file="f",
            file_sha256="x",
            target="open-connectors http://x helpdesk",
            object="Contact",
            operation="insert",
            external_id=None,
            mapping=None,
            options={},
            run_dir=str(tmp_path),
        )
    )
    return ledger


def staged(tmp_path: Path, rows: int, book: Ledger) -> StagedChunk:
    path = tmp_path / "in.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(rows)))
    with CsvSource(path, detect_dialect(path)) as source:
        (chunk,) = prepare(
            source, resolve(None, CONTACT, source.header), 1000, tmp_path / "run"
        ).chunks
    book.stage_chunks("r1", [(chunk.number, chunk.rows, chunk.sha256)])
    return chunk


def wait_records(sandbox: object, count: int) -> None:
    deadline = time.monotonic() + 10
    while (
        sandbox.store.count_records("helpdesk", "Contact") < count and time.monotonic() < deadline
    ):  # type: ignore[attr-defined]
        time.sleep(0.05)


def submitter(
    book: Ledger,
    target: Target,
    op: Operation | None = None,
    key: str | None = None,
    retry: RetryPolicy | None = None,
) -> ChunkSubmitter:
    return ChunkSubmitter(
        book,
        target,
        run_id="r1",
        object_name="Contact",
        operation=op or Operation(),
        check=TargetCheck(match_key=key, settle_seconds=0),
        retry=retry,
        sleep=lambda s: None,
    )


def upload_elsewhere(target: OpenConnectorsTarget, path: Path) -> str:
    """An upload that hubload does not record (another tool, or a crashed process)."""
    return target.client.upload("Contact", path).job_id


def test_a_submitted_chunk_is_never_sent_again(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 3, book)
    with target_for(sandbox) as target:
        first = submitter(book, target).submit(chunk)
        assert isinstance(first, JobRef)
        record = book.chunk("r1", 1)
        assert record.state is ChunkState.SUBMITTED and record.attempts == 1
        again = submitter(book, target).submit(chunk)
    assert isinstance(again, JobRef) and again.job_id == first.job_id
    assert sandbox.store.count_jobs() == 1


def test_crash_while_submitting_is_settled_by_the_job_listing(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    """The crash: marked submitting, the upload reached the target, then nothing was recorded.
    The job listing names the job: it is polled, never sent again (no match key needed)."""
    sandbox = start_sb()
    chunk = staged(tmp_path, 4, book)
    with target_for(sandbox) as target:
        book.mark_chunk("r1", 1, ChunkState.SUBMITTING)
        job_id = upload_elsewhere(target, chunk.path)
        settled = submitter(book, target).submit(chunk)
        assert isinstance(settled, JobRef) and settled.job_id == job_id
        assert book.chunk("r1", 1).job_id == job_id
        target.wait(job_id, QUICK)
    assert sandbox.store.count_records("helpdesk", "Contact") == 4
    assert sandbox.store.count_jobs() == 1


def test_two_new_jobs_are_not_guessed_at_the_match_key_decides(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    """Two jobs appeared on the object since the attempt began: the listing cannot tell which
    is the upload's; all rows found by the match key count as loaded, no key means a decision."""
    sandbox = start_sb()
    chunk = staged(tmp_path, 4, book)
    with target_for(sandbox) as target:
        book.mark_chunk("r1", 1, ChunkState.SUBMITTING)
        upload_elsewhere(target, chunk.path)
        other = tmp_path / "other.csv"
        other.write_text("LastName\nSomeone\n")
        upload_elsewhere(target, other)
        wait_records(sandbox, 5)
        assert rows_at_target(target, "Contact", chunk, "Email") == ("all", 4)
        without_key = submitter(book, target).submit(chunk)
        assert isinstance(without_key, ChunkOutcome)
        assert (without_key.all_failed_reason or "").startswith(NEEDS_DECISION)
        assert "2 jobs appeared" in (without_key.all_failed_reason or "")
        with_key = submitter(book, target, key="Email").submit(chunk)
    assert isinstance(with_key, ChunkOutcome) and with_key.status == FOUND_AT_TARGET
    assert with_key.succeeded == 4
    assert book.chunk("r1", 1).state is ChunkState.FOUND
    assert sandbox.store.count_records("helpdesk", "Contact") == 5


def test_crash_before_the_upload_left_is_sent_once(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 2, book)
    with target_for(sandbox) as target:
        book.mark_chunk("r1", 1, ChunkState.SUBMITTING)  # the crash came before the request
        result = submitter(book, target).submit(chunk)
        assert isinstance(result, JobRef)
        target.wait(result.job_id, QUICK)
    assert sandbox.store.count_records("helpdesk", "Contact") == 2
    assert sandbox.store.count_jobs() == 1


def test_partly_present_chunk_waits_for_a_decision(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 3, book)
    with target_for(sandbox) as target:
        one = tmp_path / "one.csv"
        one.write_text("LastName,Email\nL0,u0@x.com\n")
        upload_elsewhere(target, one)
        wait_records(sandbox, 1)
        # Unknown, with no start recorded: the listing cannot be read for it; the key decides.
        book.mark_chunk("r1", 1, ChunkState.UNKNOWN)
        result = submitter(book, target, key="Email").submit(chunk)
    assert isinstance(result, ChunkOutcome) and "1 of 3 rows found" in (
        result.all_failed_reason or ""
    )
    assert sandbox.store.count_records("helpdesk", "Contact") == 1


def test_an_upsert_with_unknown_outcome_is_resent(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 2, book)
    with target_for(sandbox) as target:
        book.mark_chunk("r1", 1, ChunkState.UNKNOWN)
        result = submitter(book, target, Operation.of("upsert", "Email")).submit(chunk)
        assert isinstance(result, JobRef)
        target.wait(result.job_id, QUICK)
    assert sandbox.store.count_records("helpdesk", "Contact") == 2


def test_an_upsert_whose_answers_stay_lost_fails_and_may_be_sent_again(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    """Its retries spent, an upsert is a plain failure (sending it again is safe): no second
    round of uploads, no "decision" asked for, and its rows may be reprocessed."""
    sandbox = start_sb(lost_response_rate=1.0)
    chunk = staged(tmp_path, 2, book)
    upsert = Operation.of("upsert", "Email")
    with target_for(sandbox) as target, pytest.raises(RetriableError) as info:
        submitter(book, target, upsert, retry=RetryPolicy(attempts=2, base_delay=0)).submit(chunk)
    assert book.chunk("r1", 1).state is ChunkState.FAILED
    assert sandbox.store.count_jobs() == 2  # one upload and its one retry
    outcome = step_failed(chunk, "submit", None, info.value, resend_is_safe=True)
    assert outcome.all_failed_reason is not None
    assert not fate_unknown(outcome.all_failed_reason)
    lost_insert = step_failed(chunk, "submit", None, info.value, resend_is_safe=False)
    assert lost_insert.all_failed_reason is not None
    assert fate_unknown(lost_insert.all_failed_reason)


def test_a_lost_insert_answer_is_settled_by_the_listing_without_a_duplicate(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    """Every upload's answer is lost: the job listing names the job that each upload made, so
    the chunk is polled, not sent again, and its rows load once."""
    sandbox = start_sb(lost_response_rate=1.0)
    chunk = staged(tmp_path, 3, book)
    with target_for(sandbox) as target:
        result = submitter(book, target).submit(chunk)
        assert isinstance(result, JobRef)
        target.wait(result.job_id, QUICK)
    assert sandbox.store.count_jobs() == 1
    assert sandbox.store.count_records("helpdesk", "Contact") == 3
