"""Write-ahead submission without Prefect: the ledger's chunk states against a real sandbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hubload.client import JobRef, PollPolicy, RetryPolicy
from hubload.csvfile import CsvSource, detect_dialect
from hubload.errors import RetriableError
from hubload.exactly_once import (
    FOUND_AT_TARGET,
    NEEDS_DECISION,
    ChunkSubmitter,
    TargetCheck,
    rows_at_target,
)
from hubload.ledger import Ledger, RunRecord
from hubload.outcomes import ChunkOutcome, fate_unknown, step_failed
from hubload.staging import StagedChunk, prepare
from hubload.submission import Operation
from schemas.catalog import FieldSpec, ObjectSpec
from schemas.mapping import resolve
from tests.conftest import SandboxFactory, client_for

CONTACT = ObjectSpec.of("Contact", [FieldSpec("LastName", required=True), FieldSpec("Email")])
QUICK = PollPolicy(budget=30, initial_interval=0.02)


@pytest.fixture
def book(tmp_path: Path) -> Ledger:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.start_run(
        RunRecord(
            run_id="r1",
            kind="load",
            file="f",
            file_sha256="x",
            hub="helpdesk",
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
    client: object,
    op: Operation | None = None,
    key: str | None = None,
    retry: RetryPolicy | None = None,
) -> ChunkSubmitter:
    return ChunkSubmitter(
        book,
        client,  # type: ignore[arg-type]
        run_id="r1",
        object_name="Contact",
        operation=op or Operation(),
        check=TargetCheck(match_key=key, settle_seconds=0),
        retry=retry,
        sleep=lambda s: None,
        poll=QUICK,
    )


def test_a_submitted_chunk_is_never_sent_again(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 3, book)
    with client_for(sandbox) as client:
        first = submitter(book, client).submit(chunk)
        assert isinstance(first, JobRef)
        assert book.chunk("r1", 1).state == "submitted" and book.chunk("r1", 1).attempts == 1
        again = submitter(book, client).submit(chunk)
    assert isinstance(again, JobRef) and again.job_id == first.job_id
    assert sandbox.store.count_jobs() == 1


def test_crash_while_submitting_is_settled_by_the_match_key(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 4, book)
    with client_for(sandbox) as client:
        # The crash: marked submitting, the upload reached the target, then nothing was recorded.
        book.mark_chunk("r1", 1, "submitting")
        client.upload("Contact", chunk.path)
        wait_records(sandbox, 4)
        assert rows_at_target(client, "Contact", chunk, "Email", QUICK) == ("all", 4)
        without_key = submitter(book, client).submit(chunk)
        assert isinstance(without_key, ChunkOutcome) and without_key.all_failed_reason.startswith(
            NEEDS_DECISION
        )
        with_key = submitter(book, client, key="Email").submit(chunk)
    assert (
        isinstance(with_key, ChunkOutcome)
        and with_key.status == FOUND_AT_TARGET
        and with_key.succeeded == 4
    )
    assert book.chunk("r1", 1).state == "found"
    assert sandbox.store.count_records("helpdesk", "Contact") == 4


def test_crash_before_the_upload_left_is_sent_once(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 2, book)
    with client_for(sandbox) as client:
        book.mark_chunk("r1", 1, "submitting")  # the crash came before the request was sent
        result = submitter(book, client, key="Email").submit(chunk)
        assert isinstance(result, JobRef)
        client.wait(result.job_id, QUICK)
    assert sandbox.store.count_records("helpdesk", "Contact") == 2


def test_partly_present_chunk_waits_for_a_decision(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 3, book)
    with client_for(sandbox) as client:
        one = tmp_path / "one.csv"
        one.write_text("LastName,Email\nL0,u0@x.com\n")
        client.upload("Contact", one)
        wait_records(sandbox, 1)
        book.mark_chunk("r1", 1, "unknown")
        result = submitter(book, client, key="Email").submit(chunk)
    assert isinstance(result, ChunkOutcome) and "1 of 3 rows found" in (
        result.all_failed_reason or ""
    )
    assert sandbox.store.count_records("helpdesk", "Contact") == 1


def test_an_upsert_with_unknown_outcome_is_resent(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb()
    chunk = staged(tmp_path, 2, book)
    with client_for(sandbox) as client:
        book.mark_chunk("r1", 1, "unknown")
        result = submitter(book, client, Operation("upsert", "Email")).submit(chunk)
        assert isinstance(result, JobRef)
        client.wait(result.job_id, QUICK)
    assert sandbox.store.count_records("helpdesk", "Contact") == 2


def test_an_upsert_whose_answers_stay_lost_fails_and_may_be_sent_again(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    """Its retries spent, an upsert is a plain failure (sending it again is safe): no second
    round of uploads, no "decision" asked for, and its rows may be reprocessed."""
    sandbox = start_sb(lost_response_rate=1.0)
    chunk = staged(tmp_path, 2, book)
    upsert = Operation("upsert", "Email")
    with client_for(sandbox) as client, pytest.raises(RetriableError) as info:
        submitter(book, client, upsert, retry=RetryPolicy(attempts=2, base_delay=0)).submit(chunk)
    assert book.chunk("r1", 1).state == "failed"
    assert sandbox.store.count_jobs() == 2  # one upload and its one retry
    outcome = step_failed(chunk, "submit", None, info.value, resend_is_safe=True)
    assert outcome.all_failed_reason is not None
    assert not fate_unknown(outcome.all_failed_reason)
    lost_insert = step_failed(chunk, "submit", None, info.value, resend_is_safe=False)
    assert lost_insert.all_failed_reason is not None
    assert fate_unknown(lost_insert.all_failed_reason)


def test_rows_there_before_the_upload_prove_nothing(
    start_sb: SandboxFactory, tmp_path: Path, book: Ledger
) -> None:
    sandbox = start_sb(lost_response_rate=1.0)
    chunk = staged(tmp_path, 2, book)
    with client_for(sandbox) as client:
        with pytest.raises(RetriableError):  # the same rows, loaded earlier by someone else
            client.upload("Contact", chunk.path)
        wait_records(sandbox, 2)
        result = submitter(book, client, key="Email").submit(chunk)
    assert book.chunk("r1", 1).preexisting == 2
    assert isinstance(result, ChunkOutcome) and result.all_failed_reason.startswith(NEEDS_DECISION)
    assert "2 of them there before the first upload" in result.all_failed_reason
    wait_records(sandbox, 4)
    assert sandbox.store.count_records("helpdesk", "Contact") == 4  # our upload, once
