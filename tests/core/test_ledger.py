"""The ledger: claims that two reprocess runs cannot share, resolution up a chain of runs,
lineage by the lines a reprocess input really has, secrets kept out of messages."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flows.load import load
from hubload.csvfile import CsvSource, detect_dialect
from hubload.errors import ConfigError
from hubload.forms import Advanced, FileDetails
from hubload.ledger import (
    AmbiguousRunError,
    ChunkState,
    Ledger,
    RowOutcome,
    RowRecord,
    RunKind,
    RunRecord,
    RunStatus,
)
from hubload.leftovers import leftover_rows, write_input
from hubload.options import LoadRequest
from hubload.reports import RowReport
from hubload.targets import TargetIdentity, TargetKind
from tests.core.postgres import postgres_server

IDENTITY = TargetIdentity(TargetKind.OPEN_CONNECTORS, "http://oc.example/api", "helpdesk")
FAILED = RowOutcome.FAILED


def run(run_id: str, parent: str | None = None, status: RunStatus = RunStatus.RUNNING) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        kind=RunKind.REPROCESS if parent else RunKind.LOAD,
        file="f",
        file_sha256="x",
        target=IDENTITY.key,
        object="Contact",
        operation="insert",
        external_id=None,
        mapping=None,
        options={},
        run_dir="/tmp",
        parent_run_id=parent,
        status=status,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL server, started once (the ledger is shared this way by workers)."""
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:  # a fresh schema per test
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def book(ledger_url: str) -> Iterator[Ledger]:
    ledger = Ledger(ledger_url)
    ledger.start_run(run("A"))
    ledger.record_rows("A", [RowRecord(line, FAILED, "X:y:--") for line in (10, 20, 30)])
    ledger.finish_run("A", RunStatus.PARTIAL)
    yield ledger
    ledger.close()


def test_two_reprocess_runs_never_claim_the_same_row(book: Ledger) -> None:
    book.start_run(run("B", "A"))
    book.start_run(run("C", "A"))
    assert book.claim_rows("A", [10, 20], "B") == [10, 20]
    assert book.claim_rows("A", [10, 20, 30], "C") == [30]
    assert book.claim_rows("A", [10, 20, 30], "B") == [10, 20]  # a run keeps what it has


def test_a_finished_child_keeps_its_rows_and_resolution_goes_up_the_chain(book: Ledger) -> None:
    """Every run of a chain names its rows by the original file's lines: a child's input line
    maps to one (its lineage), and what it loads resolves the same lines all the way up."""
    book.start_run(run("B", "A"))
    assert book.claim_rows("A", [10, 20, 30], "B") == [10, 20, 30]
    book.record_lineage("B", [(2, 10), (3, 20), (4, 30)])
    assert book.resolve_upwards("B", [10]) == {"A": 1}  # B loaded line 10 of the file
    book.record_rows("B", [RowRecord(20, FAILED, "X:y:--"), RowRecord(30, FAILED, "X:y:--")])
    book.finish_run("B", RunStatus.PARTIAL)
    # A's two other rows are B's to reprocess now, not A's: nobody can load them twice.
    assert book.claim_rows("A", [20, 30], "A2") == []
    assert book.remaining("A") == 2 and book.held_elsewhere("A") == 2
    book.start_run(run("D", "B"))
    assert book.claim_rows("B", [20, 30], "D") == [20, 30]
    book.record_lineage("D", [(2, 20), (3, 30)])
    assert book.resolve_upwards("D", [20, 30]) == {"B": 2, "A": 2}
    assert book.remaining("A") == 0 and book.remaining("B") == 0


def test_rows_of_a_child_that_failed_before_sending_are_free_again(book: Ledger) -> None:
    book.start_run(run("B", "A"))
    book.claim_rows("A", [10], "B")
    book.stage_chunks("B", [(1, 1, "h")])
    book.finish_run("B", RunStatus.FAILED)
    assert book.claim_rows("A", [10], "C") == [10]


def test_rows_of_a_child_that_failed_after_sending_stay_with_it(book: Ledger) -> None:
    book.start_run(run("B", "A"))
    book.claim_rows("A", [10], "B")
    book.stage_chunks("B", [(1, 1, "h")])
    book.mark_chunk("B", 1, ChunkState.SUBMITTED, job_id="j")
    book.finish_run("B", RunStatus.FAILED)
    assert book.claim_rows("A", [10], "C") == []


def test_lineage_follows_the_lines_rows_really_start_on(tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    write_input(
        path,
        ["Street", "City"],
        [["1 Main\nApt 2", "Oslo"], ["2 Side", "Rome"], ["3 Long\n\nWay", "Bern"]],
    )
    with CsvSource(path, detect_dialect(path)) as parsed:
        assert parsed.record_lines() == [2, 4, 5]


def test_exact_lookups_prefixes_flow_run_ids_and_ambiguity(book: Ledger) -> None:
    book.start_run(replace(run("A-r1", "A"), flow_run_id="5f0c2a9e-0000-4000-8000-000000000001"))
    book.start_run(run("A-r2", "A"))
    assert book.run("A").run_id == "A"  # exact match wins over the prefix
    assert book.run("A-r1").run_id == "A-r1"
    assert book.run("5f0c2a9e").run_id == "A-r1"  # by the Prefect flow run (the UI's URL)
    assert book.run("Z") is None
    with pytest.raises(AmbiguousRunError, match="matches 2 runs"):
        book.run("A-r")
    # Taken up by another flow run (a resume, a Retry on another worker): both ids find it.
    book.start_run(replace(run("A-r1", "A"), flow_run_id="77aa0000-0000-4000-8000-000000000002"))
    assert book.run("77aa0000").run_id == "A-r1"
    assert book.run("5f0c2a9e-0000-4000-8000-000000000001").run_id == "A-r1"
    assert book.run("A-r1", exact=True).flow_run_id == "77aa0000-0000-4000-8000-000000000002"


def test_a_bad_url_is_a_config_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        Ledger("postgresql://user:s3cret@127.0.0.1:1/ledger")
    assert "s3cret" not in str(info.value)
    with pytest.raises(ConfigError, match="NoSuchModuleError"):
        Ledger("nosuchdb://x")
    for url in ("postgresql://u:p@ss@word@127.0.0.1:1/db", "postgresql://u:s3cret@h:port/db"):
        with pytest.raises(ConfigError) as info:
            Ledger(url)
        assert "ss@word" not in str(info.value) and "s3cret" not in str(info.value), info.value


def test_rows_of_unknown_fate_are_never_plain_failures(tmp_path: Path) -> None:
    """Every reason that leaves a row's fate at the target unknown makes it `unknown` in the
    ledger (reprocess never resends it); a target's own record error makes it `failed`."""
    failed = tmp_path / "failed.csv"
    reasons = [
        "ERRORS_UNMATCHED: bulk job 7 reported 1 error(s) that match no row of the chunk",
        "NEEDS_DECISION: no match key; not sent again so that no row loads twice",
        "SUBMIT_UNKNOWN: connection reset",
        "JOB_TIMEOUT: bulk job 7 not finished after 1800 s",
        "POLL_FAILED: 503",
        "ERRORS_UNREAD: 503",
        "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--",
        "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
    ]
    with RowReport(failed, ["LastName"], "error") as report:
        for line, reason in enumerate(reasons, start=2):
            report.add(line, ["Smith"], reason)
    rows = list(leftover_rows(None, failed))
    assert [r.outcome for r in rows] == [RowOutcome.UNKNOWN] * 6 + [RowOutcome.FAILED] * 2
    assert [r.transient for r in rows[6:]] == [True, False]


def test_a_run_taken_up_again_records_its_new_options(book: Ledger) -> None:
    """A resumed run (or a registered reprocess run that starts loading) records the settings and
    the process of the run now doing it, so `hubload resume` sees the live process."""
    taken = book.start_run(replace(run("A"), options={"pid": 4242, "chunk_size": 7}))
    stored = book.run("A", exact=True)
    assert stored is not None and stored.options == taken.options == {"pid": 4242, "chunk_size": 7}
    assert (stored.status, taken.status) == (RunStatus.RUNNING, RunStatus.RUNNING)


def test_a_recorded_request_reads_back_whole_and_each_option_is_a_flow_parameter() -> None:
    """What `resume` and `reprocess` pass to `load`: every recorded option, each a parameter of
    the flow (so none is silently dropped, such as the poll budget)."""
    request = LoadRequest.of(
        file="f.csv", object_name="Contact", poll_budget_seconds=12.5, concurrency=3
    )
    record = replace(run("B", parent="A"), options={**request.recorded(), "host": "h", "pid": 1})
    assert record.request() == request
    # The form's fields, its two groups' included, are the request's (defaults written once).
    form = set(inspect.signature(load.fn).parameters) - {"details", "advanced", "force"}
    form |= set(FileDetails.model_fields) | set(Advanced.model_fields)
    assert form == set(request.model_dump())


def test_a_run_refuses_another_target_unless_forced() -> None:
    record = run("A")
    record.check_target(IDENTITY, force=False)
    other = TargetIdentity(TargetKind.SALESFORCE, "https://prod.my.salesforce.com", "prod")
    with pytest.raises(ConfigError, match="loaded into open-connectors"):
        record.check_target(other, force=False)
    record.check_target(other, force=True)
    legacy = replace(record, target="legacy helpdesk")  # recorded before identities
    legacy.check_target(IDENTITY, force=False)
    with pytest.raises(ConfigError):
        legacy.check_target(other, force=False)


def test_an_older_ledger_is_carried_forward(tmp_path: Path) -> None:
    """A ledger written before runs recorded their target (a hub column) opens, keeps its runs
    and loaded files, and their target reads as legacy."""
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE loaded_files (sha256 VARCHAR(64) PRIMARY KEY, path VARCHAR(2048) "
                "NOT NULL, hub VARCHAR(200) NOT NULL, object VARCHAR(200) NOT NULL, run_id "
                "VARCHAR(300) NOT NULL, loaded_at DATETIME NOT NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO loaded_files VALUES ('abc', '/in/a.csv', 'helpdesk', 'Contact', 'R1', "
                "'2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE runs (run_id VARCHAR(300) PRIMARY KEY, parent_run_id VARCHAR(300), "
                "kind VARCHAR(20) NOT NULL, flow_run_id VARCHAR(64), file VARCHAR(2048) NOT NULL, "
                "file_sha256 VARCHAR(64) NOT NULL, hub VARCHAR(200) NOT NULL, object VARCHAR(200) "
                "NOT NULL, operation VARCHAR(20) NOT NULL, external_id VARCHAR(200), mapping "
                "VARCHAR(2048), options TEXT NOT NULL, run_dir VARCHAR(2048) NOT NULL, status "
                "VARCHAR(20) NOT NULL, read INTEGER, succeeded INTEGER, rejected INTEGER, failed "
                "INTEGER, message TEXT, started_at DATETIME NOT NULL, finished_at DATETIME)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO runs (run_id, kind, file, file_sha256, hub, object, operation, "
                "options, run_dir, status, started_at) VALUES ('R1', 'load', '/in/a.csv', 'abc', "
                "'helpdesk', 'Contact', 'insert', '{}', '/runs/R1', 'completed', "
                "'2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    book = Ledger(f"sqlite:///{path}")
    old = book.run("R1")
    assert old is not None and old.target == "legacy helpdesk" and old.identity is None
    assert book.loaded_file("abc", IDENTITY, "Contact", "insert") is not None
    other_hub = TargetIdentity(TargetKind.OPEN_CONNECTORS, "http://oc.example/api", "crm")
    assert book.loaded_file("abc", other_hub, "Contact", "insert") is None
    book.stage_chunks("R1", [(1, 1, "h")])  # the new columns are there
    book.mark_chunk("R1", 1, ChunkState.SUBMITTING)
    chunk = book.chunk("R1", 1)
    assert chunk is not None and chunk.attempts == 1 and chunk.attempt_started_at is not None
    book.close()


def test_every_job_a_chunk_became_is_kept(book: Ledger) -> None:
    """A chunk's row keeps its latest job; the target is asked about all of them after a load
    (a chunk sent again, by a bug or a person, must not hide its first job)."""
    book.stage_chunks("A", [(1, 5, "h"), (2, 5, "h2")])
    book.mark_chunk("A", 1, ChunkState.SUBMITTING)
    book.record_job("A", 1, "j1")
    book.mark_chunk("A", 1, ChunkState.SUBMITTED, job_id="j1")
    book.mark_chunk("A", 1, ChunkState.STAGED)
    book.mark_chunk("A", 1, ChunkState.SUBMITTING, job_id=None)
    book.record_job("A", 1, "j2")
    book.mark_chunk("A", 2, ChunkState.SUBMITTED, job_id="j3")
    assert book.chunk_jobs("A") == {1: {"j1", "j2"}, 2: {"j3"}}
    first, second = book.attempt_times("A")  # chunk 1's two attempts: both kept
    assert first < second
    assert book.job_ids(IDENTITY.key, "Contact") == {"j1", "j2", "j3"}
