"""Cancelling jobs, and bulk queries with their CSV and JSON-lines downloads."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from tests.sandbox.conftest import Api, Starter
from tests.sandbox.test_api_basics import assert_envelope


def test_cancel_before_processing_stores_nothing(start: Starter) -> None:
    api = start(processing_delay_ms=3000)
    job_id = api.start_job("helpdesk", "Contact", "LastName\nA\nB\n")
    assert api.status("helpdesk", job_id)["status"] == "CREATED"
    answer = api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel")
    assert answer.status_code == 200
    assert answer.json() == {"id": job_id, "status": "CANCELLED"}
    assert api.status("helpdesk", job_id)["status"] == "CANCELLED"
    assert_envelope(api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel"), 409)
    assert api.sandbox.store.count_records("helpdesk", "Contact") == 0


@pytest.mark.slow
def test_cancel_while_processing_rolls_back(start: Starter) -> None:
    api = start()
    content = "C_EmailAddress,C_LastName\n" + "".join(
        f"p{n}@acme.com,P{n}\n" for n in range(150_000)
    )
    job_id = api.start_job("marketing", "contact", content)
    while api.status("marketing", job_id)["status"] == "CREATED":
        time.sleep(0.005)
    answer = api.http.put(f"/hubs/marketing/bulk/{job_id}/cancel")
    assert answer.status_code == 200
    assert api.status("marketing", job_id)["status"] == "CANCELLED"
    # The next upload can only be stored once the cancelled one has rolled back.
    _, status = api.run("marketing", "contact", "C_EmailAddress\nnext@acme.com\n")
    assert status["status"] == "COMPLETED"
    emails = [r["C_EmailAddress"] for r in api.sandbox.store.records("marketing", "contact")]
    assert emails == ["next@acme.com"]


def test_cancel_a_finished_job_is_409(start: Starter) -> None:
    api = start()
    job_id, status = api.run("helpdesk", "Contact", "LastName\nA\n")
    assert status["status"] == "COMPLETED"
    body = assert_envelope(api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel"), 409)
    assert "COMPLETED" in body["message"]


@pytest.mark.parametrize(
    ("where", "names"),
    [
        ("", ["Smith", "Doe", "Smith", "O'Neil"]),
        ("where LastName = 'Smith'", ["Smith", "Smith"]),
        ("WHERE lastname = 'smith'", ["Smith", "Smith"]),
        ("where LastName != 'Smith'", ["Doe", "O'Neil"]),
        ("where LastName <> 'Smith' and FirstName = 'John'", ["Doe"]),
        ("where LastName = 'O''Neil'", ["O'Neil"]),
        ("where FirstName in ('Norm', 'Penny')", ["Smith", "O'Neil"]),
        ("where Email like '%acmedata%'", ["Smith"]),
        ("where Email LIKE 'JOHN@%'", ["Doe"]),
        ("where Title is null", ["Doe"]),
        ("where Title is not null and Salutation != 'Mr.'", ["Smith", "O'Neil"]),
        ("where Salutation != 'Mr.'", ["Doe", "Smith", "O'Neil"]),
        ("where LastName = 'Smith' limit 1", ["Smith"]),
        ("limit 2", ["Smith", "Doe"]),
    ],
)
def test_query_operators(loaded_contacts: Api, where: str, names: list[str]) -> None:
    rows = loaded_contacts.rows("helpdesk", f"select * from contacts {where}")
    assert [row["LastName"] for row in rows] == names


def test_query_csv_download_and_status(loaded_contacts: Api) -> None:
    job_id, status = loaded_contacts.query(
        "helpdesk", "SELECT Email, LastName FROM Contact WHERE LastName = 'Smith'"
    )
    assert (status["status"], status["recordsCount"], status["objectName"]) == (
        "COMPLETED",
        2,
        "Contact",
    )
    answer = loaded_contacts.download("helpdesk", job_id, "Contact", "text/csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["Id", "Email", "LastName"]
    assert [r[1:] for r in rows[1:]] == [["norm@acme.com", "Smith"], ["ann@acmedata.com", "Smith"]]
    assert all(len(r[0]) == 18 and r[0].startswith("003") for r in rows[1:])


def test_query_json_lines_are_typed(loaded_contacts: Api) -> None:
    rows = loaded_contacts.rows(
        "helpdesk", "select * from contact where FirstName in ('Norm', 'John')"
    )
    norm, john = rows
    assert next(iter(norm)) == "Id"
    assert norm["HasOptedOutOfEmail"] is True and norm["Birthdate"] == "1980-01-02"
    assert norm["Name"] == "Norm Smith"
    assert john["Title"] is None and john["HasOptedOutOfEmail"] is None


def test_query_marketing_object_by_plural_and_numbers(api: Api) -> None:
    api.run("marketing", "campaign", "name,budgetedCost\nSpring,1500.5\nAutumn,\n")
    rows = api.rows("marketing", "select name, budgetedCost from campaigns where name != 'Autumn'")
    assert rows == [{"id": rows[0]["id"], "name": "Spring", "budgetedCost": 1500.5}]


def test_download_rules(start: Starter) -> None:
    api = start()
    api.run("helpdesk", "Contact", "LastName\nA\n")
    job_id, _ = api.query("helpdesk", "select LastName from Contact")
    assert api.download("helpdesk", job_id, "contacts", "application/json").status_code == 200
    assert_envelope(api.download("helpdesk", job_id, "Lead", "text/csv"), 404)
    assert_envelope(api.download("helpdesk", job_id, "Contact", "application/xml"), 406)
    upload_id, _ = api.run("helpdesk", "Contact", "LastName\nB\n")
    assert_envelope(api.download("helpdesk", upload_id, "Contact", "text/csv"), 404)
    assert_envelope(api.download("marketing", job_id, "contact", "text/csv"), 404)


def test_download_before_completion_is_409(start: Starter) -> None:
    api = start(processing_delay_ms=3000)
    answer = api.http.post("/hubs/helpdesk/bulk/query", params={"q": "select * from Contact"})
    assert answer.json()["status"] == "CREATED"
    job_id = answer.json()["id"]
    assert_envelope(api.download("helpdesk", job_id, "Contact", "text/csv"), 409)
    assert api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel").json()["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "select from Contact",
        "select * from Opportunity",
        "select Nope from Contact",
        "select * from Contact where Nope = 'x'",
        "select * from Contact where Description = 'x'",
        "select * from Contact where LastName = 'x",
        "select * from Contact where LastName > 'x'",
        "select * from Contact where LastName = 'x' or FirstName = 'y'",
        "select * from Contact limit many",
        "delete from Contact",
    ],
)
def test_bad_queries_are_400(api: Api, query: str) -> None:
    answer = api.http.post("/hubs/helpdesk/bulk/query", params={"q": query} if query else {})
    assert_envelope(answer, 400)


def test_query_result_is_a_snapshot(start: Starter) -> None:
    api = start()
    api.run("helpdesk", "Contact", "LastName\nA\n")
    job_id, status = api.query("helpdesk", "select LastName from Contact")
    api.run("helpdesk", "Contact", "LastName\nB\n")
    lines = api.download("helpdesk", job_id, "Contact", "application/json").text.splitlines()
    assert status["recordsCount"] == 1
    assert [json.loads(line)["LastName"] for line in lines] == ["A"]


@pytest.mark.slow
def test_queries_stay_fast_on_many_records(start: Starter) -> None:
    api = start()
    rows = 200_000
    content = "C_EmailAddress,C_LastName,C_City\n" + "".join(
        f"p{n}@acme.com,P{n % 1000},{'Paris' if n % 4 else ''}\n" for n in range(rows)
    )
    _, status = api.run("marketing", "contact", content)
    assert status["recordsCount"] == rows
    for query, matched in [
        ("select * from contacts where C_EmailAddress = 'P123456@ACME.COM'", 1),
        ("select id from contacts where C_LastName in ('P7', 'P8') and C_City is null", 200),
        ("select C_EmailAddress from contacts where C_EmailAddress like 'p1999%'", 111),
        ("select * from contacts", rows),
    ]:
        started = time.monotonic()
        job_id, status = api.query("marketing", query)
        assert status["recordsCount"] == matched
        assert time.monotonic() - started < 5, query
    answer = api.download("marketing", job_id, "contact", "text/csv")
    assert answer.text.count("\n") == rows + 1
