"""After a load in which a row may have been sent twice, the target is asked: a row loaded
twice makes the run unreconciled (whatever its counts say), a chain of runs that loaded each
row once is confirmed, and a plain load is not asked again. Both faces of the sandbox; its
records counted to show the duplicate is real."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from hubload.audit import AuditStatus
from hubload.errors import ReconciliationError, RetriableError
from hubload.ledger import ChunkState, RunStatus
from hubload.summary import Summary
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory, client_for
from tests.e2e.helpers import ledger, run_load, run_reprocess, summary_json
from tests.e2e.test_salesforce import OC_SETTINGS, sf_settings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
UseTarget = Callable[..., Path]
ROWS = 40


def _file(path: Path) -> Path:
    lines = ["LastName,Email", *(f"L{i},a{i}@x.com" for i in range(1, ROWS + 1))]
    path.write_text("\n".join(lines) + "\n")
    return path


def _emails(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(r["Email"] for r in sandbox.store.records("helpdesk", "Contact"))


@pytest.fixture(params=["open-connectors", "salesforce"])
def face(
    request: pytest.FixtureRequest,
    start_sb: SandboxFactory,
    use_target: UseTarget,
    monkeypatch: pytest.MonkeyPatch,
) -> RunningSandbox:
    """A calm sandbox, hubload pointed at one of its faces."""
    sandbox = start_sb()
    use_target(sandbox)
    if request.param == "salesforce":
        for name in OC_SETTINGS:
            monkeypatch.delenv(name)
        for name, value in sf_settings(sandbox).items():
            monkeypatch.setenv(name, value)
    return sandbox


def test_a_row_loaded_twice_is_seen_at_the_target_and_the_run_does_not_reconcile(
    face: RunningSandbox, tmp_path: Path
) -> None:
    path = _file(tmp_path / "contacts.csv")
    _, first = run_load(path, "Contact", chunk_size=10)
    assert isinstance(first, Summary) and first.succeeded == ROWS
    assert first.audit.status is AuditStatus.NOT_NEEDED  # each row sent once: nothing to ask
    assert first.reconciles is True

    # A ledger that forgot chunk 2 was sent (the kind of bug issue 10 found): the run's Retry
    # sends it again. Its counts still add up; the target's jobs do not.
    book = ledger()
    book.mark_chunk(first.run_id, 2, ChunkState.STAGED)
    state, result = run_load(path, "Contact", chunk_size=10, run_id=first.run_id)
    assert max(_emails(face).values()) == 2  # the duplicate is real

    assert state.name == "Unreconciled"
    assert isinstance(result, ReconciliationError)
    assert "10 row(s) loaded twice" in str(result)
    record = book.run(first.run_id, exact=True)
    assert record is not None and record.status is RunStatus.COMPLETED
    assert record.message and "loaded twice" in record.message
    data = summary_json(first)  # the run's folder: the Retry wrote it again
    assert data["reconciles"] is False
    assert data["audit"]["status"] == "doubled"
    assert (data["audit"]["records"], data["audit"]["loaded"]) == (ROWS + 10, ROWS)
    assert data["succeeded"] + data["failed"] + data["rejected"] == data["read"]
    assert any("loaded twice" in d for d in data["discrepancies"])


def test_a_chain_of_runs_that_loaded_each_row_once_is_confirmed_at_the_target(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    db = tmp_path / "crm.db"
    path = _file(tmp_path / "contacts.csv")
    use_target(start_sb(db_path=db, seed=3, lock_error_rate=0.3))
    _, first = run_load(path, "Contact", chunk_size=10, heal_rounds=0)
    assert isinstance(first, Summary) and first.failed > 0
    assert first.audit.status is AuditStatus.NOT_NEEDED

    calm = start_sb(db_path=db)
    use_target(calm)
    _, second = run_reprocess(first.run_id, only="failed")
    assert isinstance(second, Summary) and second.succeeded == first.failed
    assert second.audit.status is AuditStatus.CONFIRMED, second.audit.note
    assert (second.audit.records, second.audit.loaded) == (ROWS, ROWS)
    assert second.audit.jobs >= 5  # the first run's four jobs and the reprocess run's
    assert second.reconciles is True and summary_json(second)["reconciles"] is True
    assert set(_emails(calm).values()) == {1}


def test_a_job_no_run_recorded_is_found_in_the_job_listing(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    """An Open Connectors upload makes its job and sends its data in one request: when the
    answer is lost and the job is taken as never made, the chunk is sent again and the ledger
    never learns of the first job. The job listing shows it."""
    sandbox = start_sb()
    use_target(sandbox)
    path = _file(tmp_path / "contacts.csv")
    _, first = run_load(path, "Contact", chunk_size=10)
    assert isinstance(first, Summary)
    book = ledger()
    lost = book.chunk(first.run_id, 3)
    assert lost is not None and lost.job_id
    book.mark_chunk(first.run_id, 3, ChunkState.STAGED, job_id=None)
    with book.engine.begin() as conn:
        conn.execute(text("DELETE FROM chunk_jobs WHERE run_id = :r"), {"r": first.run_id})
    state, result = run_load(path, "Contact", chunk_size=10, run_id=first.run_id)
    assert max(_emails(sandbox).values()) == 2

    assert state.name == "Unreconciled" and isinstance(result, ReconciliationError)
    assert f"by job(s) {lost.job_id}, which no run recorded" in str(result)
    assert summary_json(first)["audit"]["records"] == ROWS + 10


def test_another_loads_lost_job_made_before_the_run_confuses_neither_settling_nor_the_check(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    """Every upload answer is lost; a job of another load (its answer lost too, so no run
    knows it) was made moments before this run began. Each chunk is settled by the job
    listing as the one job made since its upload began: the platform's clock is placed by the
    listing's Date header, so the older job is not a candidate (with the two-minute skew once
    allowed it was, and every chunk was left for a decision)."""
    sandbox = start_sb(lost_response_rate=1.0)
    use_target(sandbox)
    other = tmp_path / "other.csv"
    other.write_text("LastName,Email\nO1,o1@x.com\nO2,o2@x.com\n")
    with client_for(sandbox) as client, pytest.raises(RetriableError):
        client.upload("Contact", other)
    time.sleep(2.5)  # the Date header counts whole seconds
    path = _file(tmp_path / "contacts.csv")
    _, first = run_load(path, "Contact", chunk_size=10, settle_seconds=1)
    assert isinstance(first, Summary)
    assert (first.succeeded, first.failed) == (ROWS, 0), summary_json(first)["jobs"]
    assert set(_emails(sandbox).values()) == {1}

    # The run's Retry, with a chunk sent again, asks the
    # target about jobs made while the run ran: the other load's job is not among them.
    ledger().mark_chunk(first.run_id, 4, ChunkState.STAGED)
    state, result = run_load(path, "Contact", chunk_size=10, run_id=first.run_id)
    assert isinstance(result, ReconciliationError) and state.name == "Unreconciled"
    assert "10 row(s) loaded twice" in str(result) and "no run recorded" not in str(result)
