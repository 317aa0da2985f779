"""Paged errors, upserts, and files a job cannot process at all (status ERROR)."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Api, Starter
from tests.sandbox.test_api_basics import assert_envelope


def test_37_bad_rows_paged_30_then_7(api: Api) -> None:
    rows = "".join(f",First{n}\n" if n % 2 else f"Last{n},First{n}\n" for n in range(74))
    job_id, status = api.run("helpdesk", "Contact", "LastName,FirstName\n" + rows)
    assert (status["recordsCount"], status["recordsFailedCount"]) == (74, 37)
    first = api.errors("helpdesk", job_id, pageSize=30)
    assert first.status_code == 200
    assert first.headers["Elements-Returned-Count"] == "30"
    token = first.headers["Elements-Next-Page-Token"]
    page_one = first.json()
    assert [e["recordNumber"] for e in page_one] == list(range(2, 61, 2))
    assert page_one[0] == {
        "recordNumber": 2,
        "error": "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        "record": {"LastName": "", "FirstName": "First1"},
    }
    second = api.errors("helpdesk", job_id, pageSize=30, nextPage=token)
    assert second.headers["Elements-Returned-Count"] == "7"
    assert "Elements-Next-Page-Token" not in second.headers
    assert [e["recordNumber"] for e in second.json()] == list(range(62, 75, 2))


def test_error_paging_defaults_and_bad_parameters(api: Api) -> None:
    job_id, _ = api.run("helpdesk", "Contact", "LastName\n" + "\n".join(["", "x"] * 5) + "\n,\n")
    whole = api.errors("helpdesk", job_id)
    assert whole.headers["Elements-Returned-Count"] == str(len(whole.json()))
    assert "Elements-Next-Page-Token" not in whole.headers
    assert_envelope(api.errors("helpdesk", job_id, pageSize=0), 400)
    assert_envelope(api.errors("helpdesk", job_id, pageSize="ten"), 400)
    assert_envelope(api.errors("helpdesk", job_id, nextPage="garbage!"), 400)
    other_id, _ = api.run("helpdesk", "Contact", "LastName\n,\n,\n")
    token = api.errors("helpdesk", other_id, pageSize=1).headers["Elements-Next-Page-Token"]
    assert_envelope(api.errors("helpdesk", job_id, nextPage=token), 400)


def test_upsert_updates_instead_of_duplicating(start: Starter) -> None:
    api = start()
    api.run(
        "helpdesk",
        "Contact",
        "LastName,FirstName,Email,Title,Phone\n"
        "Smith,Norm,norm@acme.com,Engineer,111\nDoe,John,john@acme.com,Boss,222\n",
    )
    before = {r["Email"]: r for r in api.sandbox.store.records("helpdesk", "Contact")}
    job_id, status = api.run(
        "helpdesk",
        "Contact",
        "Email,LastName,Title,Phone\n"
        "NORM@acme.com,,Director,#N/A\n"  # case-insensitive match; "" keeps, #N/A nulls
        "new@acme.com,New,,\n",
        meta={"identifierFieldName": "Email"},
    )
    assert (status["recordsCount"], status["recordsFailedCount"]) == (2, 0)
    records = api.sandbox.store.records("helpdesk", "Contact")
    assert len(records) == 3
    norm = next(r for r in records if r["Id"] == before["norm@acme.com"]["Id"])
    assert (norm["LastName"], norm["FirstName"], norm["Title"], norm["Phone"]) == (
        "Smith",
        "Norm",
        "Director",
        None,
    )
    assert norm["Email"] == "NORM@acme.com"
    assert norm["CreatedDate"] == before["norm@acme.com"]["CreatedDate"]
    assert records[2]["LastName"] == "New"
    assert api.errors("helpdesk", job_id).json() == []


def test_upsert_record_errors(start: Starter) -> None:
    api = start()
    api.run(
        "helpdesk",
        "Contact",
        "LastName,Email,External_Id__c\nA,twin@acme.com,E1\nB,twin@acme.com,E2\nC,c@acme.com,E3\n",
    )
    ids = {r["External_Id__c"]: r["Id"] for r in api.sandbox.store.records("helpdesk", "Contact")}
    job_id, status = api.run(
        "helpdesk",
        "Contact",
        "Email,LastName,External_Id__c\n"
        "twin@acme.com,X,\n"  # two stored matches
        ",Y,\n"  # empty identifier
        "c@acme.com,#N/A,\n"  # an update may not null a required field
        "d@acme.com,D,\n"
        "D@acme.com,D2,\n"  # the same identifier again in the file
        "e@acme.com,,\n"  # an insert needs LastName
        "c@acme.com,Z,\n"  # repeated identifier, even after a failed row
        "f@acme.com,F,E1\n",  # a unique value another record holds
        meta={"identifierFieldName": "email", "concurrency": "serial"},
    )
    assert (status["recordsCount"], status["recordsFailedCount"]) == (8, 7)
    errors = api.error_codes("helpdesk", job_id)
    assert errors == {
        1: "DUPLICATE_EXTERNAL_ID:Email: more than one record found for external id field: "
        f"[{ids['E1']}, {ids['E2']}]:Email --",
        2: "MISSING_ARGUMENT:Email not specified:--",
        3: "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        5: "DUPLICATE_VALUE:Duplicate external id specified: D@acme.com:Email --",
        6: "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        7: "DUPLICATE_VALUE:Duplicate external id specified: c@acme.com:Email --",
        8: "DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record "
        f"with id: {ids['E1']}:--",
    }
    assert api.sandbox.store.count_records("helpdesk", "Contact") == 4


def test_upsert_on_external_id_and_on_record_id(start: Starter) -> None:
    api = start()
    api.run("helpdesk", "Account", "Name,External_Id__c\nAcme,A-1\nGlobex,A-2\n")
    _, status = api.run(
        "helpdesk",
        "Account",
        "External_Id__c,Website\na-1,acme.com\nA-3,\n",
        meta={"identifierFieldName": "External_Id__c"},
    )
    assert status["recordsFailedCount"] == 1  # A-3 is an insert without the required Name
    accounts = api.sandbox.store.records("helpdesk", "Account")
    acme_id = accounts[0]["Id"]
    assert accounts[0]["Website"] == "acme.com"
    job_id, status = api.run(
        "helpdesk",
        "Account",
        f"Id,Phone\n{acme_id},555\n001000000000000AAA,556\n",
        meta={"identifierFieldName": "Id"},
    )
    assert status["recordsFailedCount"] == 1
    assert api.error_codes("helpdesk", job_id)[2].startswith("INVALID_CROSS_REFERENCE_KEY:")
    assert api.sandbox.store.records("helpdesk", "Account")[0]["Phone"] == "555"


@pytest.mark.parametrize(
    ("content", "meta", "needle"),
    [
        (b"\n\nLastName\n", None, "header row is empty"),
        (b"LastName,,Email\nA,,\n", None, "no field name"),
        (b"LastName,lastname\nA,B\n", None, "Duplicate"),
        (b"LastName,Company\nA,B\n", None, "Company"),
        (b"LastName\nA\n", {"identifierFieldName": "Email"}, "identifier field Email"),
        (b'LastName\n"unterminated\n', None, "CSV"),
        (b"LastName\n" + b"A\n" * 40000 + b"\xff\xfe\n", None, "UTF-8"),
    ],
)
def test_unprocessable_files_end_in_error(
    api: Api, content: bytes, meta: dict[str, str] | None, needle: str
) -> None:
    before = api.sandbox.store.count_records("helpdesk", "Contact")
    job_id, status = api.run("helpdesk", "Contact", content, meta=meta)
    assert status["status"] == "ERROR"
    assert needle.lower() in status["statusMessage"].lower()
    assert api.sandbox.store.count_records("helpdesk", "Contact") == before
    assert api.errors("helpdesk", job_id).json() == []
