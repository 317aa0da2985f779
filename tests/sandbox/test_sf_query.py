"""Bulk API 2.0 query jobs: the SOQL subset, paged results, queryAll, abort and delete."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator

import pytest

from sandbox.exceptions import QueryError
from sandbox.sf.soql import InvalidFieldError, InvalidTypeError, parse_soql
from tests.sandbox.conftest import Faces, Sf, SfStarter
from tests.sandbox.test_sf_ingest import assert_sf_error

ACCOUNTS = [
    # Name, NumberOfEmployees, AnnualRevenue, Industry
    ("Small", "5", "1000.5", "Retail"),
    ("Medium", "250", "250000", "Banking"),
    ("Large", "12000", "", "Banking"),
    ("Unknown", "", "", ""),
]
CONTACTS = [
    # LastName, FirstName, Birthdate, HasOptedOutOfEmail, Title
    ("O'Neil", "Penny", "1980-01-02", "true", "100% sure"),
    ("Smith", "Norm", "1990-06-30", "false", "Engineer"),
    ("Smith", "Ann", "", "", "Director"),
    ("Back\\slash", "Bo", "2001-12-31", "1", ""),
]


@pytest.fixture(scope="module")
def loaded(faces: Faces) -> Iterator[tuple[Faces, str]]:
    """Accounts and contacts tagged with a value of this module's own."""
    t = uuid.uuid4().hex[:8]
    rows = "".join(f'"{n} {t}",{e},{r},{i}\n' for n, e, r, i in ACCOUNTS)
    content = "Name,NumberOfEmployees,AnnualRevenue,Industry\n" + rows
    _, info = faces.sf.ingest("Account", "insert", content)
    assert info["numberRecordsFailed"] == 0, info
    rows = "".join(f'"{ln}",{fn},{b},{o},"{ti}",{t}\n' for ln, fn, b, o, ti in CONTACTS)
    content = "LastName,FirstName,Birthdate,HasOptedOutOfEmail,Title,Department\n" + rows
    _, info = faces.sf.ingest("Contact", "insert", content)
    assert info["numberRecordsFailed"] == 0, info
    yield faces, t


def names(sf: Sf, soql: str, column: str = "Name") -> list[str]:
    return sorted(row[column] for row in sf.rows(soql))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("NumberOfEmployees > 100", ["Large", "Medium"]),
        ("NumberOfEmployees >= 250", ["Large", "Medium"]),
        ("NumberOfEmployees < 250", ["Small"]),
        ("NumberOfEmployees <= 5", ["Small"]),
        ("NumberOfEmployees = 5", ["Small"]),
        ("NumberOfEmployees != 5", ["Large", "Medium", "Unknown"]),
        ("NumberOfEmployees = null", ["Unknown"]),
        ("AnnualRevenue != null", ["Medium", "Small"]),
        ("AnnualRevenue > 1000.25", ["Medium", "Small"]),
        ("Industry = 'banking'", ["Large", "Medium"]),
        ("Industry IN ('Retail', 'Energy')", ["Small"]),
        ("Industry <> 'Banking'", ["Small", "Unknown"]),
        ("Industry = 'Banking' AND NumberOfEmployees < 1000", ["Medium"]),
        ("Name LIKE 'M%'", ["Medium"]),
    ],
)
def test_filters_on_accounts(loaded: tuple[Faces, str], where: str, expected: list[str]) -> None:
    faces, t = loaded
    soql = f"SELECT Name FROM Account WHERE Name LIKE '% {t}' AND {where}"
    assert names(faces.sf, soql) == [f"{n} {t}" for n in expected]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("LastName = 'O\\'Neil'", ["Penny"]),
        ("LastName = 'Back\\\\slash'", ["Bo"]),
        ("Title LIKE '100\\% %'", ["Penny"]),
        ("Title LIKE '%\\%%'", ["Penny"]),
        ("LastName LIKE 'sm_th'", ["Ann", "Norm"]),
        ("Birthdate > 1985-01-01", ["Bo", "Norm"]),
        ("Birthdate <= 1990-06-30", ["Norm", "Penny"]),
        ("Birthdate = null", ["Ann"]),
        ("HasOptedOutOfEmail = true", ["Bo", "Penny"]),
        ("HasOptedOutOfEmail = false", ["Ann", "Norm"]),
        ("HasOptedOutOfEmail != true", ["Ann", "Norm"]),
        ("CreatedDate > 2000-01-01T00:00:00Z", ["Ann", "Bo", "Norm", "Penny"]),
        ("CreatedDate < 2000-01-01T00:00:00+01:00", []),
        ("FirstName IN ('penny', 'BO')", ["Bo", "Penny"]),
    ],
)
def test_filters_on_contacts(loaded: tuple[Faces, str], where: str, expected: list[str]) -> None:
    faces, t = loaded
    soql = f"SELECT FirstName FROM Contact WHERE Department = '{t}' AND {where}"
    assert names(faces.sf, soql, "FirstName") == expected


def test_columns_values_and_limit(loaded: tuple[Faces, str]) -> None:
    faces, t = loaded
    job_id, info = faces.sf.query(
        f"select LastName, CreatedDate, Id from CONTACT where Department = '{t}' limit 2"
    )
    assert info["numberRecordsProcessed"] == 2 and info["jobType"] == "V2Query"
    answer = faces.sf.http.get(f"jobs/query/{job_id}/results")
    assert answer.headers["content-type"] == "text/csv; charset=UTF-8"
    lines = answer.text.splitlines()
    assert lines[0] == '"LastName","CreatedDate","Id"'  # as selected: no Id put first
    row = next(csv.reader(io.StringIO(lines[1])))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[1]), row
    assert row[2].startswith("003")


def test_results_are_paged_with_locators(loaded: tuple[Faces, str]) -> None:
    faces, t = loaded
    sf = faces.sf
    job_id, _ = sf.query(f"SELECT FirstName FROM Contact WHERE Department = '{t}'")
    counts, locators, seen = [], [], []
    locator = None
    while True:
        params = {"maxRecords": 3, **({"locator": locator} if locator else {})}
        answer = sf.http.get(f"jobs/query/{job_id}/results", params=params)
        counts.append(int(answer.headers["Sforce-NumberOfRecords"]))
        seen += [row["FirstName"] for row in csv.DictReader(io.StringIO(answer.text))]
        locator = answer.headers["Sforce-Locator"]
        locators.append(locator)
        if locator == "null":
            break
    assert counts == [3, 1] and locators[-1] == "null"
    assert sorted(seen) == ["Ann", "Bo", "Norm", "Penny"]
    again = sf.http.get(
        f"jobs/query/{job_id}/results", params={"maxRecords": 3, "locator": locators[0]}
    )
    assert again.headers["Sforce-NumberOfRecords"] == "1"  # a locator can be reused
    other_job, _ = sf.query("SELECT Id FROM Contact LIMIT 1")
    wrong = sf.http.get(f"jobs/query/{other_job}/results", params={"locator": locators[0]})
    assert_sf_error(wrong, 400, "INVALID_QUERY_LOCATOR")
    bad = sf.http.get(f"jobs/query/{job_id}/results", params={"maxRecords": "0"})
    assert bad.status_code == 400


def test_an_empty_result_has_a_header(loaded: tuple[Faces, str]) -> None:
    faces, _ = loaded
    job_id, info = faces.sf.query("SELECT Id, Email FROM Contact WHERE LastName = 'no such one'")
    assert info["numberRecordsProcessed"] == 0
    answer = faces.sf.http.get(f"jobs/query/{job_id}/results")
    assert answer.text == '"Id","Email"\n'
    assert answer.headers["Sforce-NumberOfRecords"] == "0"
    assert answer.headers["Sforce-Locator"] == "null"


def test_create_answers_json_even_when_csv_is_accepted(faces: Faces) -> None:
    answer = faces.sf.http.post(
        "jobs/query",
        json={"operation": "query", "query": "SELECT Id FROM Lead"},
        headers={"Accept": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["state"] == "UploadComplete" and body["operation"] == "query"
    assert body["object"] == "Lead" and body["id"].startswith("750")


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT * FROM Contact", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact GROUP BY Id", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE LastName = 'x' OR LastName = 'y'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE LastName = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Id, Id FROM Contact", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE Birthdate > '2020-01-01'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE NumberOfEmployees = 'many'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE Description = 'x'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact LIMIT x", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Contact WHERE Nope = 1", "INVALID_FIELD"),
        ("SELECT Id FROM Opportunity", "INVALID_TYPE"),
    ],
)
def test_query_refusals(faces: Faces, soql: str, code: str) -> None:
    answer = faces.sf.http.post("jobs/query", json={"operation": "query", "query": soql})
    assert_sf_error(answer, 400, code)


def test_create_refusals(faces: Faces) -> None:
    post = faces.sf.http.post
    assert_sf_error(post("jobs/query", json={"operation": "query"}), 400, "INVALIDJOB")
    bad_op = post("jobs/query", json={"operation": "insert", "query": "SELECT Id FROM Lead"})
    assert_sf_error(bad_op, 400, "JSON_PARSER_ERROR")


def test_abort_and_delete_a_query_job(start_sf: SfStarter) -> None:
    sf = start_sf(processing_delay_ms=5000).sf
    answer = sf.http.post("jobs/query", json={"operation": "query", "query": "SELECT Id FROM Case"})
    job_id = answer.json()["id"]
    results = sf.http.get(f"jobs/query/{job_id}/results")
    assert_sf_error(results, 400, "INVALIDJOBSTATE")
    assert_sf_error(sf.set_state(job_id, "UploadComplete", "query"), 400, "INVALIDJOBSTATE")
    aborted = sf.set_state(job_id, "Aborted", "query")
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    assert sf.info(job_id, "query")["state"] == "Aborted"
    assert_sf_error(sf.set_state(job_id, "Aborted", "query"), 400, "INVALIDJOBSTATE")
    assert sf.http.delete(f"jobs/query/{job_id}").status_code == 204
    assert_sf_error(sf.http.get(f"jobs/query/{job_id}"), 404, "NOT_FOUND")


def test_soql_units() -> None:
    query = parse_soql("SELECT LastName, Id FROM Contact WHERE Email != null LIMIT 5")
    assert [f.name for f in query.columns()] == ["LastName", "Id"]
    assert query.limit == 5 and not query.include_deleted
    sql, params = query.sql()
    assert '"IsDeleted"' in sql and params == [5]
    assert parse_soql("SELECT Id FROM Contact", include_deleted=True).source_sql().startswith('"')
    with pytest.raises(InvalidTypeError):
        parse_soql("SELECT Id FROM Contacts")  # no plural leniency in SOQL
    with pytest.raises(InvalidFieldError):
        parse_soql("SELECT LastNam FROM Contact")
    with pytest.raises(QueryError, match="escape"):
        parse_soql("SELECT Id FROM Contact WHERE LastName = 'a\\q'")
    unicode = parse_soql("SELECT Id FROM Contact WHERE LastName = 'Jos\\u00e9'")
    assert unicode.conditions[0].values == ("José",)
