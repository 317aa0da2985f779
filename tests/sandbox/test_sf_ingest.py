"""Bulk API 2.0 ingest jobs: create, upload, close, abort, results, lists, delete, and the
errors of each step."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest

from tests.sandbox.conftest import Faces, Sf, SfStarter

START_FAULTS = {"processing_delay_ms": 5000}


def assert_sf_error(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    (error,) = answer.json()
    assert error["errorCode"] == code, error
    assert "Traceback" not in answer.text
    return str(error["message"])


def unique(prefix: str = "N") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ({"operation": "insert"}, "INVALIDJOB", "object"),
        ({"object": "Opportunity", "operation": "insert"}, "INVALIDJOB", "Unable to find object"),
        ({"object": "Contact", "operation": "merge"}, "JSON_PARSER_ERROR", "operation"),
        ({"object": "Contact"}, "JSON_PARSER_ERROR", "operation"),
        ({"object": "Contact", "operation": "query"}, "JSON_PARSER_ERROR", "operation"),
        (
            {"object": "Contact", "operation": "insert", "columnDelimiter": "SPACE"},
            "JSON_PARSER_ERROR",
            "columnDelimiter",
        ),
        (
            {"object": "Contact", "operation": "insert", "lineEnding": "CR"},
            "JSON_PARSER_ERROR",
            "lineEnding",
        ),
        (
            {"object": "Contact", "operation": "insert", "contentType": "JSON"},
            "JSON_PARSER_ERROR",
            "contentType",
        ),
        ({"object": "Contact", "operation": "upsert"}, "INVALIDJOB", "External ID was blank"),
        (
            {"object": "Contact", "operation": "upsert", "externalIdFieldName": "LastName"},
            "INVALIDJOB",
            "does not match an External ID",
        ),
    ],
)
def test_create_refusals(faces: Faces, body: dict[str, str], code: str, needle: str) -> None:
    message = assert_sf_error(faces.sf.http.post("jobs/ingest", json=body), 400, code)
    assert needle in message


def test_create_refuses_what_is_not_a_json_object(faces: Faces) -> None:
    for content in (b"{", b"[1]", b""):
        answer = faces.sf.http.post(
            "jobs/ingest", content=content, headers={"Content-Type": "application/json"}
        )
        assert_sf_error(answer, 400, "JSON_PARSER_ERROR")


def test_job_info_and_content_url(faces: Faces) -> None:
    info = faces.sf.create("contact", "insert")
    assert info["id"].startswith("750") and len(info["id"]) == 18
    assert info["object"] == "Contact" and info["operation"] == "insert"
    assert info["apiVersion"] == 62.0 and info["jobType"] == "V2Ingest"
    assert (info["columnDelimiter"], info["lineEnding"], info["contentType"]) == (
        "COMMA",
        "LF",
        "CSV",
    )
    assert info["contentUrl"] == f"services/data/v62.0/jobs/ingest/{info['id']}/batches"
    root = faces.sf.sandbox.salesforce_instance_url
    answer = httpx.put(
        f"{root}/{info['contentUrl']}",
        content=f"LastName\n{unique()}\n",
        headers={
            "Content-Type": "text/csv",
            "Authorization": f"Bearer {faces.sf.sandbox.salesforce_token}",
        },
    )
    assert answer.status_code == 201 and answer.content == b""
    closed = faces.sf.set_state(info["id"], "UploadComplete")
    assert closed.status_code == 200 and closed.json()["state"] == "UploadComplete"
    assert "contentUrl" not in closed.json()
    done = faces.sf.wait(info["id"])
    assert done["state"] == "JobComplete"
    assert (done["numberRecordsProcessed"], done["numberRecordsFailed"]) == (1, 0)
    assert faces.sf.info(info["id"][:15])["id"] == info["id"]  # the 15-character id works too


def test_one_upload_per_open_job(faces: Faces) -> None:
    sf = faces.sf
    job_id = sf.create("Contact", "insert")["id"]
    assert sf.put(job_id, f"LastName\n{unique()}\n").status_code == 201
    second = sf.put(job_id, f"LastName\n{unique()}\n")
    assert "Found multiple contents for job" in assert_sf_error(second, 400, "INVALIDJOBSTATE")
    assert sf.set_state(job_id, "UploadComplete").status_code == 200
    late = sf.put(job_id, f"LastName\n{unique()}\n")
    assert_sf_error(late, 400, "INVALIDJOBSTATE")
    assert sf.wait(job_id)["numberRecordsProcessed"] == 1


def test_upload_refusals(faces: Faces) -> None:
    sf = faces.sf
    job_id = sf.create("Contact", "insert")["id"]
    assert_sf_error(
        sf.put(job_id, "LastName\nA\n", "application/json"), 415, "UNSUPPORTED_MEDIA_TYPE"
    )
    assert_sf_error(sf.put(job_id, b""), 400, "INVALIDJOB")
    assert_sf_error(sf.put("7505g00000000ZZZZZ", "LastName\nA\n"), 404, "NOT_FOUND")
    assert sf.put(job_id, f"LastName\n{unique()}\n").status_code == 201  # still Open


def test_too_large_upload_is_413(start_sf: SfStarter) -> None:
    sf = start_sf(max_upload_bytes=64).sf
    job_id = sf.create("Contact", "insert")["id"]
    answer = sf.put(job_id, "LastName\n" + "x" * 100 + "\n")
    assert_sf_error(answer, 413, "REQUEST_ENTITY_TOO_LARGE")
    assert sf.put(job_id, "LastName\nA\n").status_code == 201


def test_state_changes_and_their_refusals(faces: Faces) -> None:
    sf = faces.sf
    job_id, info = sf.ingest("Contact", "insert", f"LastName\n{unique()}\n")
    assert info["state"] == "JobComplete"
    assert_sf_error(sf.set_state(job_id, "UploadComplete"), 400, "INVALIDJOBSTATE")
    assert_sf_error(sf.set_state(job_id, "Aborted"), 400, "INVALIDJOBSTATE")
    assert_sf_error(sf.set_state(job_id, "InProgress"), 400, "INVALIDJOBSTATE")
    assert_sf_error(sf.set_state(job_id, "Closed"), 400, "JSON_PARSER_ERROR")
    assert_sf_error(sf.set_state("7505g00000000ZZZZZ", "Aborted"), 404, "NOT_FOUND")


def test_an_aborted_open_job_processes_nothing(faces: Faces) -> None:
    sf = faces.sf
    name = unique()
    job_id = sf.create("Contact", "insert")["id"]
    assert sf.put(job_id, f"LastName,Title\n{name},first\n{name},second\n").status_code == 201
    aborted = sf.set_state(job_id, "Aborted")
    assert aborted.status_code == 200, aborted.text
    assert aborted.json()["state"] == "Aborted" and aborted.json()["errorMessage"]
    assert_sf_error(sf.set_state(job_id, "UploadComplete"), 400, "INVALIDJOBSTATE")
    assert sf.info(job_id)["numberRecordsProcessed"] == 0
    assert faces.oc.rows("helpdesk", f"select Id from Contact where LastName = '{name}'") == []
    assert sf.results(job_id, "successfulResults") == []
    assert sf.results(job_id, "failedResults") == []
    unprocessed = sf.results(job_id, "unprocessedRecords")  # in no particular order
    assert sorted(unprocessed, key=lambda row: row["Title"]) == [
        {"LastName": name, "Title": "first"},
        {"LastName": name, "Title": "second"},
    ]


def test_an_open_job_closed_without_data_fails(faces: Faces) -> None:
    sf = faces.sf
    job_id = sf.create("Contact", "insert")["id"]
    assert sf.set_state(job_id, "UploadComplete").status_code == 200
    info = sf.wait(job_id)
    assert info["state"] == "Failed" and info["errorMessage"].startswith("InvalidBatch : ")


def test_results_wait_for_the_job_to_end(start_sf: SfStarter) -> None:
    sf = start_sf(**START_FAULTS).sf
    open_job = sf.create("Contact", "insert")["id"]
    assert_sf_error(
        sf.http.get(f"jobs/ingest/{open_job}/successfulResults"), 400, "INVALIDJOBSTATE"
    )
    job_id = sf.start("Contact", "insert", "LastName\nA\n")
    assert sf.info(job_id)["state"] == "UploadComplete"
    assert_sf_error(sf.http.get(f"jobs/ingest/{job_id}/failedResults/"), 400, "INVALIDJOBSTATE")
    aborted = sf.set_state(job_id, "Aborted").json()  # before a worker took it
    assert aborted["state"] == "Aborted"
    assert sf.results(job_id, "unprocessedrecords") == [{"LastName": "A"}]
    assert_sf_error(sf.http.get(f"jobs/ingest/{job_id}/allResults"), 404, "NOT_FOUND")


def test_unknown_header_field_fails_the_job(faces: Faces) -> None:
    sf = faces.sf
    job_id, info = sf.ingest("Contact", "insert", "LastName,NoSuchField__c\nA,1\nB,2\n")
    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InvalidBatch : Field name not found : NoSuchField__c"
    assert info["numberRecordsProcessed"] == 0
    assert sf.results(job_id, "successfulResults") == []
    assert len(sf.results(job_id, "unprocessedRecords")) == 2


def test_line_endings_must_match_the_job(faces: Faces) -> None:
    sf = faces.sf
    name = unique()
    _, info = sf.ingest("Contact", "insert", f"LastName\r\n{name}\r\n")
    assert info["state"] == "Failed"
    assert info["errorMessage"] == (
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
    )
    _, info = sf.ingest("Contact", "insert", f"LastName\r\n{name}\r\n", lineEnding="CRLF")
    assert info["state"] == "JobComplete" and info["lineEnding"] == "CRLF"
    _, info = sf.ingest("Contact", "insert", f"LastName\n{name}\n", lineEnding="CRLF")
    assert info["state"] == "Failed" and info["errorMessage"].endswith("setting is CRLF")


@pytest.mark.parametrize(("name", "char"), [("TAB", "\t"), ("SEMICOLON", ";"), ("PIPE", "|")])
def test_column_delimiters(faces: Faces, name: str, char: str) -> None:
    sf = faces.sf
    last = unique()
    content = f"LastName{char}Title\n{last}{char}A, B\n{last}{char}\n"
    job_id, info = sf.ingest("Contact", "insert", content, columnDelimiter=name)
    assert info["columnDelimiter"] == name
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 0)
    answer = sf.http.get(f"jobs/ingest/{job_id}/successfulResults")
    rows = list(csv.DictReader(io.StringIO(answer.text), delimiter=char))
    assert sorted(r["Title"] for r in rows) == ["", "A, B"]
    stored = faces.oc.rows("helpdesk", f"select Title from Contact where LastName = '{last}'")
    assert sorted(r["Title"] or "" for r in stored) == ["", "A, B"]


def test_results_come_back_in_another_order_than_uploaded(faces: Faces) -> None:
    sf = faces.sf
    names = [unique(f"R{n:03d}-") for n in range(60)]
    bad = {names[n] for n in range(0, 60, 7)}
    lines = [f"{n},{'not-an-email' if n in bad else 'ok@example.com'}" for n in names]
    job_id, info = sf.ingest("Contact", "insert", "LastName,Email\n" + "\n".join(lines) + "\n")
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (60, len(bad))
    successes = sf.results(job_id, "successfulResults")
    uploaded_good = [n for n in names if n not in bad]
    returned = [r["LastName"] for r in successes]
    assert sorted(returned) == sorted(uploaded_good)
    assert returned != uploaded_good  # a client matching rows by position would be wrong
    assert [r["LastName"] for r in sf.results(job_id, "successfulResults")] == returned  # seeded
    # Matched by content, every row has its own record id and outcome.
    stored = {
        r["LastName"]: r["Id"]
        for r in sf.rows("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'R0%'")
        if r["LastName"] in names
    }
    assert {r["LastName"]: r["sf__Id"] for r in successes} == stored
    assert all(r["sf__Created"] == "true" for r in successes)
    failed = sf.results(job_id, "failedResults")
    assert sorted(r["LastName"] for r in failed) == sorted(bad)
    assert all(
        r["sf__Error"].startswith("INVALID_EMAIL_ADDRESS:") and r["sf__Id"] == "" for r in failed
    )
    assert all(r["Email"] == "not-an-email" for r in failed)  # the cells as uploaded
    raw = sf.http.get(f"jobs/ingest/{job_id}/failedResults").text
    assert raw.startswith('"sf__Id","sf__Error","LastName","Email"\n')


def test_get_all_jobs_pages_oldest_first(start_sf: SfStarter) -> None:
    faces = start_sf(jobs_page_size=2)
    sf = faces.sf
    made = [sf.create("Contact", "insert")["id"] for _ in range(5)]
    sf.query("SELECT Id FROM Contact")
    faces.oc.run("helpdesk", "Contact", "LastName\nA\n")  # not a Salesforce job
    seen: list[str] = []
    url: str | None = "jobs/ingest"
    pages = 0
    while url is not None:
        answer = (
            sf.http.get(url)
            if pages == 0
            else httpx.get(sf.sandbox.salesforce_instance_url + url, headers=sf.http.headers)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [job["id"] for job in body["records"]]
        assert all(
            job["jobType"] == "V2Ingest" and job["state"] == "Open" for job in body["records"]
        )
        assert body["done"] is (body["nextRecordsUrl"] is None)
        url = body["nextRecordsUrl"]
        pages += 1
    assert seen == made and pages == 3
    queries = sf.http.get("jobs/query").json()
    assert [job["jobType"] for job in queries["records"]] == ["V2Query"] and queries["done"]
    assert sf.http.get("jobs/ingest", params={"jobType": "Classic"}).json()["records"] == []
    assert_sf_error(
        sf.http.get("jobs/ingest", params={"queryLocator": "bogus"}), 400, "INVALID_QUERY_LOCATOR"
    )


def test_delete_a_job(faces: Faces) -> None:
    sf = faces.sf
    job_id, _ = sf.ingest("Contact", "insert", f"LastName\n{unique()}\n")
    deleted = sf.http.delete(f"jobs/ingest/{job_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_sf_error(sf.http.get(f"jobs/ingest/{job_id}"), 404, "NOT_FOUND")
    assert_sf_error(sf.http.get(f"jobs/ingest/{job_id}/successfulResults"), 404, "NOT_FOUND")
    assert job_id not in [j["id"] for j in sf.http.get("jobs/ingest").json()["records"]]
    open_job = sf.create("Contact", "insert")["id"]
    assert_sf_error(sf.http.delete(f"jobs/ingest/{open_job}"), 400, "INVALIDJOBSTATE")


def test_unknown_routes_and_methods_answer_salesforce_errors(faces: Faces) -> None:
    assert_sf_error(faces.sf.http.get("nothing/here"), 404, "NOT_FOUND")
    assert_sf_error(faces.sf.http.put("jobs/ingest"), 405, "METHOD_NOT_ALLOWED")
    sf_job = faces.sf.create("Contact", "insert")["id"]
    # A Salesforce job is no Open Connectors job, nor the other way round.
    assert faces.oc.http.get(f"/hubs/helpdesk/bulk/{sf_job}/status").status_code == 404
    oc_job, _ = faces.oc.run("helpdesk", "Contact", "LastName\nA\n")
    assert_sf_error(faces.sf.http.get(f"jobs/ingest/{oc_job}"), 404, "NOT_FOUND")


def test_ingest_job_ids_are_not_query_job_ids(faces: Faces) -> None:
    query_id, _ = faces.sf.query("SELECT Id FROM Contact LIMIT 1")
    assert_sf_error(faces.sf.http.get(f"jobs/ingest/{query_id}"), 404, "NOT_FOUND")
    ingest_id = Sf.create(faces.sf, "Contact", "insert")["id"]
    assert_sf_error(faces.sf.http.get(f"jobs/query/{ingest_id}"), 404, "NOT_FOUND")
