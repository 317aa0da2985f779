"""The real simple-salesforce (1.12.10) speaks to the sandbox's Salesforce face unchanged.

Only what its users do anyway: a client built from an instance URL and a token, `bulk2_url`
set back to plain http (simple-salesforce hard-codes https), a requests session with a timeout
(it sets none) and a short polling budget (its default is 24 hours).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import _Bulk2Client
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceOperationError

from sandbox import RunningSandbox
from tests.sandbox.conftest import Faces, Sf, SfStarter, sf_client

VERSION = "59.0"
WAIT = 0.05  # seconds simple-salesforce sleeps before its first poll


class TimeoutSession(requests.Session):
    """A requests session whose every request has a timeout (simple-salesforce sets none)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", 30)
        return super().request(*args, **kwargs)


@pytest.fixture(autouse=True)
def quick_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Bulk2Client, "DEFAULT_WAIT_TIMEOUT_SECONDS", 20)


@pytest.fixture
def connect() -> Iterator[Callable[[RunningSandbox], Salesforce]]:
    sessions: list[requests.Session] = []

    def client(sandbox: RunningSandbox, token: str | None = None) -> Salesforce:
        base = sandbox.salesforce_instance_url
        sessions.append(TimeoutSession())
        sf = Salesforce(
            instance_url=base,
            session_id=token or sandbox.salesforce_token,
            version=VERSION,
            session=sessions[-1],
        )
        sf.bulk2_url = f"{base}/services/data/v{VERSION}/jobs/"
        return sf

    yield client
    for session in sessions:
        session.close()


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_insert_upsert_and_results(faces: Faces, connect: Callable[..., Salesforce]) -> None:
    sf = connect(faces.sf.sandbox)
    t = uuid.uuid4().hex[:8]
    records = [
        {"LastName": f"Simple {n}", "Email": f"s{n}.{t}@example.com", "External_Id__c": f"{t}-{n}"}
        for n in range(5)
    ]
    records[3]["Email"] = "not-an-email"
    (result,) = sf.bulk2.Contact.insert(records=records, wait=WAIT)
    assert result["numberRecordsProcessed"] == 5 and result["numberRecordsFailed"] == 1
    assert result["numberRecordsTotal"] == 5
    job_id = result["job_id"]
    successes = parsed(sf.bulk2.Contact.get_successful_records(job_id))
    assert sorted(r["External_Id__c"] for r in successes) == [f"{t}-{n}" for n in (0, 1, 2, 4)]
    assert all(r["sf__Id"].startswith("003") and r["sf__Created"] == "true" for r in successes)
    failed = parsed(sf.bulk2.Contact.get_failed_records(job_id))
    assert [r["Email"] for r in failed] == ["not-an-email"]
    assert failed[0]["sf__Error"].startswith("INVALID_EMAIL_ADDRESS:")
    assert sf.bulk2.Contact.get_unprocessed_records(job_id).splitlines()[1:] == []
    every = sf.bulk2.Contact.get_all_ingest_records(job_id)
    assert (len(every["successfulRecords"]), len(every["failedRecords"])) == (4, 1)

    upserts = [
        {"External_Id__c": f"{t}-0", "Title": "Updated"},
        {"External_Id__c": f"{t}-9", "Title": "New", "LastName": "Simple 9"},
    ]
    (result,) = sf.bulk2.Contact.upsert(
        records=upserts, external_id_field="External_Id__c", wait=WAIT
    )
    assert result["numberRecordsFailed"] == 0
    created = parsed(sf.bulk2.Contact.get_successful_records(result["job_id"]))
    assert {r["External_Id__c"]: r["sf__Created"] for r in created} == {
        f"{t}-0": "false",
        f"{t}-9": "true",
    }
    stored = faces.oc.rows("helpdesk", f"select Title from Contact where External_Id__c = '{t}-0'")
    assert stored[0]["Title"] == "Updated"


def test_update_and_deletes_from_a_file(
    faces: Faces, connect: Callable[..., Salesforce], tmp_path: Path
) -> None:
    sf = connect(faces.sf.sandbox)
    t = uuid.uuid4().hex[:8]
    (result,) = sf.bulk2.Lead.insert(
        records=[{"LastName": f"L{n}", "Company": t} for n in range(3)], wait=WAIT
    )
    ids = [r["sf__Id"] for r in parsed(sf.bulk2.Lead.get_successful_records(result["job_id"]))]
    path = tmp_path / "update.csv"
    path.write_text("Id,Title\n" + "".join(f"{i},Boss\n" for i in ids), encoding="utf-8")
    (result,) = sf.bulk2.Lead.update(csv_file=str(path), wait=WAIT)
    assert result["numberRecordsFailed"] == 0
    path.write_text(f"Id\n{ids[0]}\n", encoding="utf-8")
    (result,) = sf.bulk2.Lead.delete(csv_file=str(path), wait=WAIT)
    assert result["numberRecordsFailed"] == 0
    path.write_text(f"Id\n{ids[1]}\n", encoding="utf-8")
    (result,) = sf.bulk2.Lead.hard_delete(csv_file=str(path), wait=WAIT)
    assert result["numberRecordsFailed"] == 0
    pages = sf.bulk2.Lead.query_all(
        f"SELECT Id, Title, IsDeleted FROM Lead WHERE Company = '{t}'", wait=WAIT
    )
    rows = [row for page in pages for row in parsed(page)]
    assert {r["Id"]: r["IsDeleted"] for r in rows} == {ids[0]: "true", ids[2]: "false"}
    assert {r["Title"] for r in rows} == {"Boss"}


def test_query_over_several_pages(
    faces: Faces, connect: Callable[..., Salesforce], tmp_path: Path
) -> None:
    sf = connect(faces.sf.sandbox)
    t = uuid.uuid4().hex[:8]
    sf.bulk2.Case.insert(records=[{"Subject": f"{t} #{n}"} for n in range(7)], wait=WAIT)
    pages = list(
        sf.bulk2.Case.query(
            f"SELECT Subject FROM Case WHERE Subject LIKE '{t}%'", max_records=3, wait=WAIT
        )
    )
    assert [len(parsed(page)) for page in pages] == [3, 3, 1]
    subjects = sorted(row["Subject"] for page in pages for row in parsed(page))
    assert subjects == sorted(f"{t} #{n}" for n in range(7))
    files = sf.bulk2.Case.download(
        f"SELECT Id FROM Case WHERE Subject LIKE '{t}%'", str(tmp_path), max_records=5, wait=WAIT
    )
    assert [f["number_of_records"] for f in files] == [5, 2]
    assert all(Path(f["file"]).read_text().startswith('"Id"') for f in files)


def test_abort_of_a_job_that_never_finishes(
    start_sf: SfStarter,
    connect: Callable[..., Salesforce],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faces = start_sf(stuck_job_rate=1.0)
    sf = connect(faces.sf.sandbox)
    monkeypatch.setattr(_Bulk2Client, "DEFAULT_WAIT_TIMEOUT_SECONDS", 0.5)
    with pytest.raises(SalesforceOperationError, match="Job timeout"):
        sf.bulk2.Contact.insert(records=[{"LastName": "Stuck"}, {"LastName": "Also"}], wait=WAIT)
    # simple-salesforce aborted the job it saw InProgress: nothing of it is stored.
    (job,) = faces.sf.http.get("jobs/ingest").json()["records"]
    assert job["state"] == "Aborted"
    unprocessed = parsed(sf.bulk2.Contact.get_unprocessed_records(job["id"]))
    assert sorted(r["LastName"] for r in unprocessed) == ["Also", "Stuck"]
    assert faces.sf.sandbox.store.count_records("helpdesk", "Contact") == 0


def test_abort_of_an_open_job_and_a_failed_job(
    faces: Faces, connect: Callable[..., Salesforce]
) -> None:
    sf = connect(faces.sf.sandbox)
    client = sf.bulk2.Contact._client
    job = client.create_job("insert")
    assert job["state"] == "Open"
    client.upload_job_data(job["id"], "LastName\nNever\n")
    assert client.abort_job(job["id"], False)["state"] == "Aborted"
    assert client.get_job(job["id"], False)["numberRecordsProcessed"] == 0
    with pytest.raises(SalesforceOperationError, match="Field name not found : Nope__c"):
        sf.bulk2.Contact.insert(records=[{"LastName": "X", "Nope__c": "y"}], wait=WAIT)


def test_an_expired_session_is_reported_as_such(
    start_sf: SfStarter, connect: Callable[..., Salesforce]
) -> None:
    faces = start_sf()
    bogus = connect(faces.sf.sandbox, token="00D5g0000000001!expired.token")
    with pytest.raises(SalesforceExpiredSession):
        bogus.bulk2.Contact.insert(records=[{"LastName": "X"}], wait=WAIT)
    with sf_client(faces.sf.sandbox) as http:
        assert Sf(faces.sf.sandbox, http).http.get("jobs/ingest").json()["records"] == []
