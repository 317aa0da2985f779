"""A Data Loader user's job, end to end: a CSV loaded through a ``.sdl`` mapping with the settings
of their process-conf.xml (insert nulls, time zone, European dates, truncation, start row), by
the real load flow, a real Prefect API and the sandbox over loopback HTTP; the records checked in
the sandbox's store, and the reports in the run's folder."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from hubload.summary import Summary
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.helpers import read_report, run_load, summary_json

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
UseTarget = Callable[[RunningSandbox], Path]
UseSalesforce = Callable[[RunningSandbox], Path]
SETTINGS = (
    "HUBLOAD_BASE_URL",
    "HUBLOAD_AUTHORIZATION",
    "HUBLOAD_INSTANCE_NAME",
    "HUBLOAD_SF_ACCESS_TOKEN",
    "HUBLOAD_SF_REFRESH_TOKEN",
    "HUBLOAD_SF_USERNAME",
    "HUBLOAD_SF_PRIVATE_KEY",
    "HUBLOAD_SF_PRIVATE_KEY_FILE",
    "HUBLOAD_SF_INSTANCE_NAME",
)


@pytest.fixture
def use_salesforce(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> UseSalesforce:
    """hubload's settings pointed at the sandbox's Salesforce face (client credentials), the
    only target configured; returns hubload's home."""

    def use(sandbox: RunningSandbox) -> Path:
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        home = tmp_path / "home"
        monkeypatch.setenv("HUBLOAD_HOME", str(home))
        monkeypatch.setenv("HUBLOAD_TARGET", "salesforce")
        monkeypatch.setenv("HUBLOAD_SF_LOGIN_URL", sandbox.salesforce_instance_url)
        monkeypatch.setenv("HUBLOAD_SF_INSTANCE_URL", sandbox.salesforce_instance_url)
        monkeypatch.setenv("HUBLOAD_SF_CLIENT_ID", sandbox.oauth_client_id)
        monkeypatch.setenv("HUBLOAD_SF_CLIENT_SECRET", sandbox.oauth_client_secret)
        return home

    return use


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def by_key(sandbox: RunningSandbox, obj: str) -> dict[str, dict[str, str | None]]:
    return {str(r["External_Id__c"]): r for r in sandbox.store.records("helpdesk", obj)}


def run_folder(summary: Summary) -> Path:
    return Path(summary.reports["summary"]).parent


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


# A Data Loader mapping as its GUI saves it: Properties syntax (ISO-8859-1, escaped spaces and
# colons in keys), constants in quotes, a parent looked up by its external id (the legacy
# `Relationship:Field` form), a column deliberately left unmapped.
CONTACTS_SDL = r"""#Mapping values
#Mon Jan 23 17:07:24 PST 2006
Contact\ Ref=External_Id__c
Last=LastName
First=FirstName
Job\ Title=Title
Dept=Department
Company\ Ref=Account:External_Id__c
Born=Birthdate
Bounced=EmailBouncedDate
"Web"=LeadSource
"Imported\ from\ Data\ Loader\ \u2013\ nightly"=Description
Internal\ Note=
"""

CONTACTS_CSV = (
    "Contact Ref,Last,First,Job Title,Dept,Company Ref,Born,Bounced,Internal Note\n"
    "c-1,Smith,Ann,,Sales,acme-1,31/12/1980,01/03/2024 10:00,x\n"  # Title cleared
    "c-2,Jones,Bob,Manager,,globex-2,,15/07/2024 08:30:00,y\n"  # Department cleared
    "c-3,Novak,Cat,Intern,Lab,ACME-1,05/06/2001,,z\n"  # created (external ids match any case)
    "c-4,Wrong,Date,Intern,Lab,acme-1,13/31/2024,,w\n"  # rejected: month 31
)


def test_a_sdl_upsert_with_constants_lookup_insert_nulls_and_a_time_zone(
    start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_salesforce(sandbox)
    accounts = write(
        tmp_path / "accounts.csv", "Name,External_Id__c\nAcme,acme-1\nGlobex,globex-2\n"
    )
    _, seeded = run_load(accounts, "Account")
    assert isinstance(seeded, Summary) and seeded.succeeded == 2, seeded
    before = write(
        tmp_path / "contacts-before.csv",
        "LastName,FirstName,Title,Department,External_Id__c\n"
        "Smith,Ann,Boss,Sales,c-1\nJones,Bob,Clerk,Ops,c-2\n",
    )
    _, inserted = run_load(before, "Contact")
    assert isinstance(inserted, Summary) and inserted.succeeded == 2, inserted

    mapping = write(tmp_path / "contactUpsertMap.sdl", CONTACTS_SDL, "latin-1")
    state, summary = run_load(
        write(tmp_path / "contacts.csv", CONTACTS_CSV),
        "Contact",
        mapping=str(mapping),
        operation="upsert",
        external_id="External_Id__c",
        insert_nulls=True,
        timezone="Europe/Paris",
        dates="european",
    )
    assert isinstance(summary, Summary), summary
    assert state.name == "Partially loaded"
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (4, 3, 1, 0)
    (rejected,) = read_report(summary, "rejected")
    assert (rejected["line"], rejected["reason"]) == (
        "5",
        "Born -> Birthdate: not a date in the european order DD/MM/YYYY ('13/31/2024')",
    )
    assert summary_json(summary)["reconciles"]

    account_ids = {key: r["Id"] for key, r in by_key(sandbox, "Account").items()}
    contacts = by_key(sandbox, "Contact")
    assert set(contacts) == {"c-1", "c-2", "c-3"}
    ann, bob, cat = contacts["c-1"], contacts["c-2"], contacts["c-3"]
    # Insert nulls on an upsert: an empty cell cleared the stored value.
    assert (ann["Title"], ann["Department"]) == (None, "Sales")
    assert (bob["Title"], bob["Department"]) == ("Manager", None)
    # The parent, found by its external id.
    assert ann["AccountId"] == cat["AccountId"] == account_ids["acme-1"]
    assert bob["AccountId"] == account_ids["globex-2"]
    # Date-times read in Europe/Paris (winter +01:00, summer +02:00), sent in UTC; European
    # dates sent as ISO; an empty date-time on a new record is simply null.
    assert ann["EmailBouncedDate"] == "2024-03-01T09:00:00Z"
    assert bob["EmailBouncedDate"] == "2024-07-15T06:30:00Z"
    assert (ann["Birthdate"], bob["Birthdate"], cat["Birthdate"]) == (
        "1980-12-31",
        None,
        "2001-06-05",
    )
    assert cat["EmailBouncedDate"] is None
    # The constants, on every record the load touched.
    for contact in (ann, bob, cat):
        assert contact["LeadSource"] == "Web"
        assert contact["Description"] == "Imported from Data Loader \u2013 nightly"


def test_an_insert_through_a_sdl_leaves_empty_cells_empty(
    start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_salesforce(sandbox)
    mapping = write(
        tmp_path / "insertMap.sdl",
        "Last=LastName\nJob\\ Title=Title\nBounced=EmailBouncedDate\n",
    )
    csv_file = write(
        tmp_path / "new.csv",
        "Last,Job Title,Bounced\nAdams,,2024-01-15T10:00:00\nBaker,CTO,2024-01-15T10:00:00-05:00\n",
    )
    _, summary = run_load(
        csv_file, "Contact", mapping=str(mapping), insert_nulls=True, timezone="Asia/Tokyo"
    )
    assert isinstance(summary, Summary) and summary.succeeded == 2, summary
    stored = {r["LastName"]: r for r in sandbox.store.records("helpdesk", "Contact")}
    assert stored["Adams"]["Title"] is None  # sent empty (an insert has nothing to clear)
    assert stored["Adams"]["EmailBouncedDate"] == "2024-01-15T01:00:00Z"
    assert stored["Baker"]["EmailBouncedDate"] == "2024-01-15T15:00:00Z"
    chunk = next((run_folder(summary) / "chunks").glob("chunk-*[0-9].csv"))
    assert "#N/A" not in chunk.read_text(encoding="utf-8")


RESTART = (
    "LastName,Title,Email\n"
    ",already loaded,first@x.com\n"  # line 2: skipped (it would be rejected if read)
    "Done,already loaded,done@x.com\n"  # line 3: skipped
    f"{'Oppenheimer-Kowalczyk-Montgomery-Featherstonehaugh-Wolfeschlegelsteinhausen' * 2},"
    "Engineer,long@x.com\n"  # line 4: LastName cut to 80
    f"Short,{'Principal ' * 15}Engineer,short@x.com\n"  # line 5: Title cut to 128
    f"Plain,Clerk,{'x' * 80}@x.com\n"  # line 6: an email is never cut: rejected
    "Last,Clerk,last@x.com\n"  # line 7: nothing cut
)


def test_start_row_and_truncation_with_their_reports(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    state, summary = run_load(
        write(tmp_path / "restart.csv", RESTART), "Contact", start_row=2, truncate=True
    )
    assert isinstance(summary, Summary), summary
    assert state.name == "Partially loaded"
    # The two rows before the start row are skipped, and counted: never read, never lost.
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (4, 3, 1, 0)
    data = summary_json(summary)
    assert data["skipped"] == 2 and data["reconciles"]
    assert data["truncated"] == 2

    stored = {r["Email"]: r for r in sandbox.store.records("helpdesk", "Contact")}
    assert set(stored) == {"long@x.com", "short@x.com", "last@x.com"}
    long_name = RESTART.splitlines()[3].split(",")[0]
    assert stored["long@x.com"]["LastName"] == long_name[:80]
    long_title = "Principal " * 15 + "Engineer"
    assert stored["short@x.com"]["Title"] == long_title[:128]

    (rejected,) = read_report(summary, "rejected")
    assert (rejected["line"], rejected["reason"]) == ("6", "Email: longer than 80 characters")
    truncated = rows_of(run_folder(summary) / "truncated.csv")
    assert [(r["line"], r["field"], r["max_length"], r["original_length"]) for r in truncated] == [
        ("4", "LastName", "80", str(len(long_name))),
        ("5", "Title", "128", str(len(long_title))),
    ]
    assert truncated[0]["original_value"] == long_name


def test_a_start_row_past_the_end_loads_nothing_and_says_so(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    _, summary = run_load(write(tmp_path / "short.csv", "LastName\nA\nB\n"), "Contact", start_row=5)
    assert isinstance(summary, Summary), summary
    assert (summary.read, summary.succeeded, summary.rejected) == (0, 0, 0)
    assert summary_json(summary)["skipped"] == 2
    assert sandbox.store.count_records("helpdesk", "Contact") == 0
