"""Uploads: the job lifecycle, synchronous rejections, and each per-record check."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.sandbox.conftest import Api, Starter
from tests.sandbox.test_api_basics import assert_envelope

SEED_CSV = (
    "C_EmailAddress,C_FirstName,C_LastName,C_Title,C_BusPhone,C_Company,C_Website1\n"
    "norm.smith@acme.com,Norm,Smith,Design Engineer,(333) 333-1234,Acme,http://www.acme.com\n"
    "john@acmepublishing.com,John,Doe,,,Acme Publishing,https://www.acmepublishing.com\n"
    "ann@acmedata.com,Ann,Smith,Director,444) 444-1234,Acme Data,http://www.acmedata.com\n"
)


def test_upload_created_then_completed_with_counts(start: Starter) -> None:
    api = start()
    answer = api.upload("marketing", "contact", SEED_CSV)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "CREATED" and body["id"].isdigit() and "instanceId" in body
    status = api.wait("marketing", body["id"])
    assert status == {
        "id": body["id"],
        "status": "COMPLETED",
        "recordsCount": 3,
        "recordsFailedCount": 0,
        "objectName": "contact",
        "createdDate": status["createdDate"],
    }
    records = api.sandbox.store.records("marketing", "contact")
    assert [r["id"] for r in records] == ["1", "2", "3"]
    # Phones are not format-checked: "444) 444-1234" is stored as given.
    assert records[2]["C_BusPhone"] == "444) 444-1234"
    assert records[1]["C_Title"] is None  # an empty value is null
    assert api.errors("marketing", body["id"]).json() == []


def test_first_job_id_and_salesforce_ids(start: Starter) -> None:
    api = start()
    job_id, _ = api.run("helpdesk", "Lead", "LastName,Company\nDoe,Acme\nRoe,Acme\n")
    assert job_id == "1001"
    leads = api.sandbox.store.records("helpdesk", "Lead")
    assert [lead["Id"] for lead in leads] == ["00Q5g0000000001EAA", "00Q5g0000000002EAA"]
    assert leads[0]["Status"] == "Open - Not Contacted"  # the picklist default
    assert leads[0]["Name"] == "Doe"
    assert str(leads[0]["CreatedDate"]).endswith("+0000")


def test_bom_crlf_quotes_and_blank_lines(api: Api) -> None:
    content = (
        '\ufeffLastName,Description,Email\r\n"O\'Neil, Jr.","line one\nline two",\r\n\r\nKim,,\r\n'
    ).encode()
    _, status = api.run("helpdesk", "Contact", content)
    assert (status["recordsCount"], status["recordsFailedCount"]) == (2, 0)
    stored = {r["LastName"]: r for r in api.sandbox.store.records("helpdesk", "Contact")}
    assert stored["O'Neil, Jr."]["Description"] == "line one\nline two"


def test_header_names_match_case_insensitively(api: Api) -> None:
    _, status = api.run("helpdesk", "Account", "name,WEBSITE\nAcme Case,acme.com\n")
    assert (status["recordsCount"], status["recordsFailedCount"]) == (1, 0)


@pytest.mark.parametrize(
    ("params", "files", "status", "needle"),
    [
        ({}, {"file": ("a.csv", b"LastName\nA\n")}, 400, "path"),
        ({"path": "/a.csv"}, {"other": ("a.csv", b"LastName\nA\n")}, 400, "file"),
        ({"path": "/a.csv"}, {"file": ("a.csv", b"")}, 400, "empty"),
        ({"path": "/a.csv"}, {"file": ("a.csv", b"LastName\nA\x00B\n")}, 400, "NUL"),
        (
            {"path": "/a.csv"},
            {"file": ("a.csv", "LastName\nMüller\n".encode("latin-1"))},
            400,
            "UTF-8",
        ),
        (
            {"path": "/a.csv"},
            {"file": ("a.csv", b"LastName\nA\n"), "metaData": (None, "{not json")},
            400,
            "JSON",
        ),
        (
            {"path": "/a.csv"},
            {"file": ("a.csv", b"LastName\nA\n"), "metaData": (None, "[1]")},
            400,
            "object",
        ),
        (
            {"path": "/a.csv"},
            {
                "file": ("a.csv", b"LastName\nA\n"),
                "metaData": (None, '{"identifierFieldName": "Nope"}'),
            },
            400,
            "Nope",
        ),
        (
            {"path": "/a.csv"},
            {"file": ("a.csv", b"LastName\nA\n"), "metaData": (None, '{"format": "json"}')},
            400,
            "CSV",
        ),
    ],
)
def test_synchronous_rejections(
    api: Api,
    params: dict[str, str],
    files: dict[str, tuple[str | None, bytes | str]],
    status: int,
    needle: str,
) -> None:
    before = api.sandbox.store.count_jobs()
    answer = api.http.post("/hubs/helpdesk/bulk/Contact", params=params, files=files)
    body = assert_envelope(answer, status)
    assert needle.lower() in body["message"].lower()
    assert api.sandbox.store.count_jobs() == before


def test_not_multipart_is_415(api: Api) -> None:
    answer = api.http.post("/hubs/helpdesk/bulk/Contact?path=/a.csv", content=b"LastName\nA\n")
    assert_envelope(answer, 415)


def test_unknown_hub_and_object_are_404(api: Api) -> None:
    assert_envelope(api.upload("crm", "Contact", "LastName\nA\n"), 404)
    assert_envelope(api.upload("helpdesk", "Opportunity", "LastName\nA\n"), 404)


def test_too_large_by_content_length_and_by_bytes(start: Starter) -> None:
    api = start(max_upload_bytes=1000)
    big = "LastName\n" + "A\n" * (1024 * 1024)
    assert_envelope(api.upload("helpdesk", "Contact", big), 413)

    # Chunked (no Content-Length): judged on the bytes actually received.
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        + "LastName\n"
        + "A\n" * 2000
        + f"\r\n--{boundary}--\r\n"
    ).encode()

    def chunks() -> object:
        for start_at in range(0, len(body), 512):
            yield body[start_at : start_at + 512]

    answer = api.http.post(
        "/hubs/helpdesk/bulk/Contact?path=/a.csv",
        content=chunks(),  # type: ignore[arg-type]
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in answer.request.headers
    assert_envelope(answer, 413)
    small = api.upload("helpdesk", "Contact", "LastName\nA\n")
    assert small.status_code == 200
    assert api.sandbox.store.count_jobs() == 1


def test_v3_status_style_and_complete_spelling(start: Starter) -> None:
    api = start(status_style="v3", complete_spelling="COMPLETE")
    job_id = api.start_job("helpdesk", "Contact", "LastName\nA\n,\n")
    status = api.wait("helpdesk", job_id)
    assert status == {
        "id": job_id,
        "jobStatus": "COMPLETE",
        "recordCount": 2,
        "errorCount": 1,
        "objectName": "Contact",
        "createdDate": status["createdDate"],
        "statusMessage": None,
    }


def test_upload_over_raw_http_matches_curl_example(api: Api) -> None:
    # The seed page's request: -F file=@sample.csv and the path query parameter.
    answer = httpx.post(
        api.sandbox.base_url + "/hubs/marketing/bulk/contact?path=/sample.csv",
        headers={"Authorization": api.sandbox.authorization},
        files={"file": ("sample.csv", SEED_CSV.encode())},
    )
    assert answer.status_code == 200
    assert json.loads(answer.text)["status"] == "CREATED"


@pytest.mark.slow
def test_uploads_answer_at_once_while_a_big_job_is_processed(start: Starter) -> None:
    api = start()
    rows = 200_000
    content = "C_EmailAddress,C_LastName\n" + "".join(f"p{n}@acme.com,P{n}\n" for n in range(rows))
    big = api.start_job("marketing", "contact", content)
    while api.status("marketing", big)["status"] == "CREATED":
        time.sleep(0.005)
    started = time.monotonic()
    small = api.start_job("helpdesk", "Contact", "LastName\nA\n")
    assert api.status("helpdesk", small)["status"] in ("CREATED", "RUNNING")
    took = time.monotonic() - started
    assert api.status("marketing", big)["status"] == "RUNNING", "the big job ended too soon"
    assert took < 1.0  # waiting for the big job's write lock would take seconds
    assert api.wait("marketing", big, timeout=60)["recordsCount"] == rows
    assert api.wait("helpdesk", small)["status"] == "COMPLETED"
