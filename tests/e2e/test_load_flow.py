"""The load flow end to end: real flow, real Prefect API, real sandbox over loopback HTTP."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from hubload.errors import ConfigError, InputFileError
from hubload.summary import Summary
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.helpers import MAPPINGS, SEED, read_report, run_load, summary_json

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
UseTarget = Callable[[RunningSandbox], Path]


def test_seed_sample_into_marketing_reconciles(
    start_sb: SandboxFactory, use_target: UseTarget
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    state, summary = run_load(
        SEED, "contact", hub="marketing", mapping=str(MAPPINGS / "marketing_contact.yaml")
    )
    assert isinstance(summary, Summary), summary
    assert state.is_failed() and state.name == "Partially loaded"
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (10, 9, 1, 0)
    (rejected,) = read_report(summary, "rejected")
    assert rejected["line"] == "4" and rejected["C_EmailAddress"] == "ann@acmedata.com"
    assert rejected["reason"] == "C_BusPhone: not a valid phone number ('444) 444-1234')"
    assert read_report(summary, "failed") == []
    data = summary_json(summary)
    assert data["reconciles"] and data["jobs"][0]["status"] == "COMPLETED"
    assert sandbox.store.count_records("marketing", "contact") == 9
    emails = {r["C_EmailAddress"] for r in sandbox.store.records("marketing", "contact")}
    assert "ann@acmedata.com" not in emails and "melissa@acmeresources.com" in emails


def test_seed_sample_into_service_cloud_lead_and_contact(
    start_sb: SandboxFactory, use_target: UseTarget
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    _, leads = run_load(SEED, "Lead", mapping=str(MAPPINGS / "helpdesk_lead.yaml"))
    _, contacts = run_load(SEED, "Contact", mapping=str(MAPPINGS / "helpdesk_contact.yaml"))
    assert (leads.succeeded, leads.rejected, contacts.succeeded, contacts.rejected) == (9, 1, 9, 1)
    lead = next(
        r
        for r in sandbox.store.records("helpdesk", "Lead")
        if r["LastName"] == "Smith" and r["FirstName"] == "Norm"
    )
    assert (lead["Company"], lead["Website"], lead["LeadSource"]) == (
        "Acme",
        "http://www.acme.com",
        "Purchased List",
    )
    assert contacts.unmapped_columns == ["C_Company", "C_Website1"]
    assert sandbox.store.count_records("helpdesk", "Contact") == 9


def test_company_is_not_a_contact_field(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    use_target(start_sb())
    mapping = tmp_path / "m.yaml"
    mapping.write_text("fields:\n  LastName: C_LastName\n  Company: C_Company\n")
    state, error = run_load(SEED, "Contact", mapping=str(mapping))
    assert state.is_failed() and isinstance(error, ConfigError)
    assert "Contact has no field 'Company'" in str(error)


MESSY = (
    "\ufeffLastName;FirstName;Description;Email\r\n"
    'Smith;Norm;"two\r\nlines; and ""quotes""";norm@acme.com\r\n'
    "Doe;John;;john@acme.com\r\n"
    "\r\n"
    "Short;Row\r\n"
    "Too;Many;Fields;x@y.com;extra\r\n"
    'Null;None;"NA";\r\n'
    ";Ann;missing last name;ann@acme.com\r\n"
)


def test_messy_csv_loses_no_row(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    _, summary = run_load(path, "Contact", chunk_size=2)
    assert isinstance(summary, Summary), summary
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (6, 3, 3, 0)
    assert summary.blank_lines == 1
    rejected = {r["line"]: r for r in read_report(summary, "rejected")}
    assert set(rejected) == {"6", "7", "9"}
    assert rejected["6"]["reason"].startswith("MALFORMED_ROW: 2 field(s)")
    assert rejected["7"]["extra_fields"] == "extra"
    assert rejected["9"]["reason"] == "LastName: required, but empty"
    stored = {r["LastName"]: r for r in sandbox.store.records("helpdesk", "Contact")}
    assert stored["Smith"]["Description"] == 'two\r\nlines; and "quotes"'
    assert (stored["Null"]["FirstName"], stored["Null"]["Description"]) == ("None", "NA")


def test_tab_separated_utf16_file(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    path = tmp_path / "utf16.tsv"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "LastName\tFirstName\nMüller\tJosé\n".encode("utf-16-le")
    )
    _, summary = run_load(path, "Contact")
    assert summary.succeeded == 1
    assert sandbox.store.records("helpdesk", "Contact")[0]["FirstName"] == "José"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01binary\x00", "binary"),
        (b"", "empty"),
        (b"LastName\n" + b"Smith\n" * 3000 + b"Caf\xe9\n", "not valid utf-8"),
        (b"LastName,LastName\nA,B\n", "repeats column name"),
    ],
)
def test_unreadable_file_submits_nothing(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path, content: bytes, message: str
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    state, error = run_load(path, "Contact", chunk_size=1000)
    assert state.is_failed() and isinstance(error, InputFileError)
    assert message in str(error) and "\n" not in str(error)
    assert sandbox.store.count_jobs() == 0
    assert sandbox.store.count_records("helpdesk", "Contact") == 0


def test_dry_run_submits_nothing(start_sb: SandboxFactory, use_target: UseTarget) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    _, summary = run_load(SEED, "Lead", mapping=str(MAPPINGS / "helpdesk_lead.yaml"), dry_run=True)
    assert (summary.read, summary.staged, summary.rejected, summary.succeeded) == (10, 9, 1, 0)
    assert summary.dry_run and summary.jobs == [] and "failed" not in summary.reports
    assert read_report(summary, "rejected")[0]["line"] == "4"
    assert sandbox.store.count_jobs() == 0


def test_transient_faults_still_account_for_every_row(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb(
        seed=11, error_rate=0.2, rate_limit_rate=0.2, retry_after=0, lock_error_rate=0.05
    )
    use_target(sandbox)
    path = tmp_path / "many.csv"
    rows = [f"Last{i},First{i},user{i}@acme.com" for i in range(400)] + [",NoLast,x@acme.com"]
    path.write_text("LastName,FirstName,Email\n" + "\n".join(rows) + "\n")
    _, summary = run_load(path, "Contact", chunk_size=50, concurrency=4)
    assert isinstance(summary, Summary), summary
    assert summary.read == 401 and summary.rejected == 1
    assert summary.succeeded + summary.failed == 400 and summary.reconciles
    assert all(j.chunk > 100_000 for j in summary.jobs[8:])  # healing chunks, if any
    failed = read_report(summary, "failed")
    assert len(failed) == summary.failed
    assert all(f["error"].startswith("UNABLE_TO_LOCK_ROW") for f in failed)
    assert sandbox.store.count_records("helpdesk", "Contact") == summary.succeeded


def test_lock_errors_heal_within_the_run_serially(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    """Every row meets a record lock unless sent serially: the run sends them again itself, in
    serial mode, and ends clean, each row loaded once; the summary says how many healed."""
    sandbox = start_sb(lock_error_rate=1.0)
    use_target(sandbox)
    path = tmp_path / "locked.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(60)))
    state, summary = run_load(path, "Contact", chunk_size=25)
    assert isinstance(summary, Summary) and state.is_completed(), summary
    assert (summary.succeeded, summary.failed, summary.healed, summary.heal_rounds) == (
        60,
        0,
        60,
        1,
    )
    assert [j.chunk for j in summary.jobs] == [1, 2, 3, 100_001, 100_002, 100_003]
    emails = [r["Email"] for r in sandbox.store.records("helpdesk", "Contact")]
    assert len(emails) == 60 and len(set(emails)) == 60


def test_target_errors_are_reported_per_row(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    first = tmp_path / "first.csv"
    first.write_text("LastName,External_Id__c\nA,k1\n")
    run_load(first, "Contact")
    second = tmp_path / "second.csv"
    second.write_text("LastName,External_Id__c\nB,k2\n=cmd(),k1\nD,k3\n")
    _, summary = run_load(second, "Contact")
    assert (summary.succeeded, summary.failed) == (2, 1)
    (failed,) = read_report(summary, "failed")
    assert failed["line"] == "3" and failed["External_Id__c"] == "k1"
    assert failed["LastName"] == "'=cmd()"  # neutralised for spreadsheets
    assert failed["error"].startswith("DUPLICATE_VALUE")


def test_job_error_fails_every_row_of_its_chunk(
    start_sb: SandboxFactory, use_target: UseTarget
) -> None:
    sandbox = start_sb(job_error_rate=1.0)
    use_target(sandbox)
    _, summary = run_load(SEED, "contact", hub="marketing")
    assert (summary.succeeded, summary.rejected, summary.failed) == (0, 1, 9)
    failed = read_report(summary, "failed")
    assert len(failed) == 9 and all(f["error"].startswith("JOB_ERROR") for f in failed)
    assert summary.jobs[0].status == "ERROR"


def test_clean_load_completes(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    use_target(start_sb())
    path = tmp_path / "clean.csv"
    path.write_text("LastName,Email\n=SUM(A1),a@x.com\nDoe,b@x.com\n")
    state, summary = run_load(path, "Contact", operation="upsert", external_id="Email")
    assert state.is_completed() and summary.all_succeeded and summary.succeeded == 2
