"""Reprocessing and exactly-once submission against the sandbox with faults; every case counts
the sandbox's records to prove nothing was loaded twice and nothing was lost."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest

from hubload.summary import Summary
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import artifact_data
from tests.e2e.helpers import MAPPINGS, SEED, ledger, read_report, run_load, run_reprocess

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
UseTarget = Callable[[RunningSandbox], Path]
MARKETING = {"hub": "marketing", "mapping": str(MAPPINGS / "marketing_contact.yaml")}


def uploads(sandbox: RunningSandbox) -> int:
    """Upload jobs the sandbox received (query jobs, used to check the target, not counted)."""
    jobs = (sandbox.store.job(i) for i in sandbox.store.job_ids())
    return sum(1 for job in jobs if job is not None and job.kind == "upload")


def test_job_error_is_reprocessed_to_completion_and_twice_loads_nothing(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    db = tmp_path / "crm.db"
    broken = start_sb(db_path=db, job_error_rate=1.0)
    use_target(broken)
    _, parent = run_load(SEED, "contact", heal_rounds=0, **MARKETING)
    assert (parent.succeeded, parent.rejected, parent.failed) == (0, 1, 9)
    assert broken.store.count_records("marketing", "contact") == 0
    broken.stop()

    healthy = start_sb(db_path=db)  # the same CRM, its fault gone
    use_target(healthy)
    state, child = run_reprocess(parent.run_id, only="failed")
    assert isinstance(child, Summary), child
    assert state.is_completed() and (child.read, child.succeeded) == (9, 9)
    book = ledger()
    assert book.remaining(parent.run_id) == 1  # the rejected row is still the user's to fix
    assert book.run(child.run_id).parent_run_id == parent.run_id
    assert healthy.store.count_records("marketing", "contact") == 9

    state, nothing = run_reprocess(parent.run_id)
    assert state.is_completed() and nothing is None and "nothing to reprocess" in state.message
    assert healthy.store.count_records("marketing", "contact") == 9


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_rows_the_target_refused_are_corrected_in_failed_csv(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    """A row the target refused (a duplicate external id) is corrected in the run's failed.csv
    and loaded by reprocess --failed; given to --rejected instead, the file is refused with the
    right option named; the child's reports keep the original file's line numbers."""
    sandbox = start_sb()
    use_target(sandbox)
    first = tmp_path / "first.csv"
    first.write_text("LastName,External_Id__c\nA,k1\n")
    run_load(first, "Contact")
    second = tmp_path / "second.csv"
    second.write_text("LastName,External_Id__c\nB,k2\nC,k1\nD,x\nE,k1\n")
    _, parent = run_load(second, "Contact")
    assert (parent.succeeded, parent.failed) == (2, 2)
    rows = read_report(parent, "failed")
    assert [(r["line"], r["error"].split(":")[0]) for r in rows] == [
        ("3", "DUPLICATE_VALUE"),
        ("5", "DUPLICATE_VALUE"),
    ]
    state, wrong = run_reprocess(
        parent.run_id, rejected_file=str(write_rows(tmp_path / "f.csv", rows))
    )
    assert state.is_failed() and "give it with --failed" in str(wrong)
    rows[0]["External_Id__c"] = "k3"  # line 3 corrected; line 5 left as it was
    fixed = write_rows(tmp_path / "fixed.csv", rows)
    state, child = run_reprocess(parent.run_id, failed_file=str(fixed), only="failed")
    assert isinstance(child, Summary) and (child.succeeded, child.failed) == (1, 1)
    left = read_report(child, "failed")
    assert [r["line"] for r in left] == ["5"]  # the original file's line, not the input's
    assert {r["External_Id__c"] for r in sandbox.store.records("helpdesk", "Contact")} == {
        "k1",
        "k2",
        "k3",
        "x",
    }
    book = ledger()
    assert book.remaining(parent.run_id) == 1
    assert [r.line for r in book.rows(child.run_id)] == [5]
    # The parent's page lists its reprocess run, linked; the child links to its real parent.
    loaded, again = book.run(parent.run_id, exact=True), book.run(child.run_id, exact=True)
    assert loaded is not None and again is not None
    assert loaded.flow_run_id and again.flow_run_id
    listed = artifact_data(UUID(loaded.flow_run_id), "reprocess-runs")
    assert f"[{child.run_id}](" in listed and f"/runs/flow-run/{again.flow_run_id})" in listed
    assert "1 row(s) still to load" in listed
    link = artifact_data(UUID(again.flow_run_id), "parent-load")
    assert f"/runs/flow-run/{loaded.flow_run_id})" in link


def test_fixed_rejected_rows_load_and_resolve_the_parent(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    _, parent = run_load(SEED, "contact", **MARKETING)
    rows = read_report(parent, "rejected")
    assert rows[0]["C_BusPhone"] == "444) 444-1234"
    rows[0]["C_BusPhone"] = "(444) 444-1234"
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    state, child = run_reprocess(parent.run_id, rejected_file=str(fixed), only="rejected")
    assert state.is_completed() and child.succeeded == 1
    book = ledger()
    assert book.remaining(parent.run_id) == 0
    assert [r.resolved_by for r in book.rows(parent.run_id, unresolved=False)] == [child.run_id]
    stored = {r["C_EmailAddress"]: r for r in sandbox.store.records("marketing", "contact")}
    assert stored["ann@acmedata.com"]["C_BusPhone"] == "(444) 444-1234"
    assert len(stored) == 10
    state, nothing = run_reprocess(parent.run_id, rejected_file=str(fixed))
    assert nothing is None and sandbox.store.count_records("marketing", "contact") == 10


def test_transient_lock_errors_reprocessed_in_serial_mode(
    start_sb: SandboxFactory, use_target: UseTarget
) -> None:
    sandbox = start_sb(lock_error_rate=1.0)
    use_target(sandbox)
    # No healing within the run (it would send them again serially at once): left to reprocess.
    _, parent = run_load(SEED, "contact", heal_rounds=0, **MARKETING)
    assert parent.failed == 9
    assert all(r.transient for r in ledger().rows(parent.run_id) if r.outcome == "failed")
    _, child = run_reprocess(parent.run_id, only="transient", serial=True)
    assert child.succeeded == 9 and ledger().remaining(parent.run_id) == 1
    assert sandbox.store.count_records("marketing", "contact") == 9


def test_lost_answers_are_settled_by_the_targets_job_list(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    """Every upload's answer is lost: each chunk's job is found in the target's job list (its
    name is the chunk's), polled, and its rows accounted for; nothing is sent twice, and a
    reprocess finds nothing to send. (When the list cannot tell, the chunk waits for a
    decision: tests/core/test_exactly_once.py.)"""
    sandbox = start_sb(lost_response_rate=1.0)
    use_target(sandbox)
    path = tmp_path / "contacts.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(25)))
    state, summary = run_load(path, "Contact", chunk_size=10, settle_seconds=1)
    assert isinstance(summary, Summary), summary
    assert state.is_completed() and summary.succeeded == 25
    assert {j.status for j in summary.jobs} == {"COMPLETED"}
    assert all(j.job_id for j in summary.jobs)
    assert uploads(sandbox) == 3  # each chunk sent once
    assert sandbox.store.count_records("helpdesk", "Contact") == 25
    _, nothing = run_reprocess(summary.run_id)
    assert nothing is None and uploads(sandbox) == 3
    assert ledger().rows(summary.run_id) == []


def test_lost_answers_of_an_upsert_are_resent_without_duplicates(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb(seed=3, lost_response_rate=0.5)
    use_target(sandbox)
    path = tmp_path / "contacts.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(40)))
    _, summary = run_load(path, "Contact", chunk_size=5, operation="upsert", external_id="Email")
    assert summary.succeeded == 40
    assert uploads(sandbox) > 8  # some chunks were sent again
    emails = [r["Email"] for r in sandbox.store.records("helpdesk", "Contact")]
    assert len(emails) == 40 and len(set(emails)) == 40
