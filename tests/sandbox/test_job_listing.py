"""`GET /hubs/{hub}/bulk/jobs`: the Open Connectors job listing, its `where`, paging and
`fields`."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from sandbox import SandboxConfig, start_sandbox
from tests.sandbox.conftest import Api, Sf, SfStarter, Starter, _api, sf_client
from tests.sandbox.test_api_basics import assert_envelope

KEYS = {
    "id", "instanceId", "object_name", "job_direction", "job_query", "job_state", "status",
    "record_count", "error_count", "fileFormat", "notification_url", "job_reset_attempt",
    "createdDate", "completion_time",
}  # fmt: skip


def listing(api: Api, hub: str = "helpdesk", **params: Any) -> httpx.Response:
    answer = api.http.get(f"/hubs/{hub}/bulk/jobs", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Elements-Returned-Count"] == str(len(answer.json()))
    return answer


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A sandbox with jobs of both faces and hubs: ids of the helpdesk Open Connectors ones."""
    db_path = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox:
        api = _api(sandbox)
        with sf_client(sandbox) as http:
            made = [
                api.run("helpdesk", "Contact", "LastName\nA\n")[0],
                api.run("helpdesk", "Contact", "LastName,Email\nB,b@x.com\nC,bad\n")[0],
                api.run("helpdesk", "Account", "Name\nAcme\n")[0],
                api.query("helpdesk", "select Id from Contact where LastName = 'A'")[0],
            ]
            api.run("marketing", "contact", "C_EmailAddress,C_LastName\na@x.com,A\n")
            Sf(sandbox, http).ingest("Contact", "insert", "LastName\nFromSalesforce\n")
            made.append(api.run("helpdesk", "Contact", "LastName\nD\nE\nF\n")[0])
            yield api, made
        api.http.close()


def test_newest_first_with_every_key(jobs: tuple[Api, list[str]]) -> None:
    api, made = jobs
    listed = listing(api).json()
    assert [job["id"] for job in listed] == made[::-1]  # this hub's, this face's only
    assert all(set(job) == KEYS for job in listed)
    upload, download = listed[0], listed[1]
    assert upload["object_name"] == "Contact" and upload["job_direction"] == "UPLOAD"
    assert (upload["record_count"], upload["error_count"]) == (3, 0)
    assert upload["status"] == upload["job_state"] == "COMPLETED"
    assert upload["job_query"] is None and upload["fileFormat"] == "csv"
    assert upload["instanceId"] == 1 and upload["job_reset_attempt"] == 0
    assert download["job_direction"] == "DOWNLOAD" and download["job_query"].startswith("select")
    now_ms = time.time() * 1000
    for job in listed:
        assert (
            isinstance(job["createdDate"], int) and now_ms - 600_000 < job["createdDate"] <= now_ms
        )
        assert job["createdDate"] <= job["completion_time"] <= now_ms
    marketing = listing(api, "marketing").json()
    assert [job["object_name"] for job in marketing] == ["contact"]


@pytest.mark.parametrize(
    ("where", "picked"),
    [
        ("object_name='Contact' and job_direction='UPLOAD'", [4, 1, 0]),
        ("object_name = 'contact'", [4, 3, 1, 0]),
        ("job_direction='DOWNLOAD'", [3]),
        ("record_count > 1", [4, 1]),
        ("record_count >= 1 and record_count <= 2", [3, 2, 1, 0]),
        ("record_count = 3", [4]),
        ("error_count != 0", [1]),
        ("job_status = 'COMPLETED' and object_name in ('Account', 'Lead')", [2]),
        ("object_name like 'Acc%'", [2]),
        ("job_status = 'ERROR'", []),
    ],
)
def test_where(jobs: tuple[Api, list[str]], where: str, picked: list[int]) -> None:
    api, made = jobs
    assert [job["id"] for job in listing(api, where=where).json()] == [made[i] for i in picked]


def test_paging_and_fields(jobs: tuple[Api, list[str]]) -> None:
    api, made = jobs
    seen: list[str] = []
    sizes: list[int] = []
    token = None
    while True:
        params = {"pageSize": 2, **({"nextPage": token} if token else {})}
        answer = listing(api, fields="id,status,nope", **params)
        page = answer.json()
        assert all(set(job) == {"id", "status"} for job in page)
        seen += [job["id"] for job in page]
        sizes.append(len(page))
        token = answer.headers.get("Elements-Next-Page-Token")
        if token is None:
            break
    assert sizes == [2, 2, 1] and seen == made[::-1]
    filtered = listing(api, where="object_name='Contact'", pageSize=1)
    assert [job["id"] for job in filtered.json()] == [made[4]]
    following = listing(
        api,
        where="object_name='Contact'",
        pageSize=5,
        nextPage=filtered.headers["Elements-Next-Page-Token"],
    )
    assert [job["id"] for job in following.json()] == [made[3], made[1], made[0]]
    assert "Elements-Next-Page-Token" not in following.headers


@pytest.mark.parametrize(
    "params",
    [
        {"where": "nope = 'x'"},
        {"where": "object_name = "},
        {"where": "object_name = 'a' or object_name = 'b'"},
        {"pageSize": "0"},
        {"nextPage": "not-a-token"},
    ],
)
def test_bad_requests(jobs: tuple[Api, list[str]], params: dict[str, str]) -> None:
    api, _ = jobs
    assert_envelope(api.http.get("/hubs/helpdesk/bulk/jobs", params=params), 400)


def test_the_route_collides_with_no_other(jobs: tuple[Api, list[str]]) -> None:
    api, made = jobs
    assert_envelope(api.http.get(f"/hubs/helpdesk/bulk/{made[3]}/jobs"), 404)  # a download
    assert_envelope(api.upload("helpdesk", "jobs", "LastName\nA\n"), 404)  # no object "jobs"
    assert_envelope(api.http.get("/hubs/helpdesk/bulk/jobs/status"), 404)
    assert_envelope(api.http.get("/hubs/nohub/bulk/jobs"), 404)
    unauthorized = httpx.get(api.sandbox.base_url + "/hubs/helpdesk/bulk/jobs")
    assert_envelope(unauthorized, 401)


def test_a_job_is_listed_before_it_is_processed(start: Starter) -> None:
    api = start(processing_delay_ms=5000)
    job_id = api.start_job("helpdesk", "Contact", "LastName\nA\n")
    (job,) = listing(api).json()
    assert (job["id"], job["status"], job["completion_time"]) == (job_id, "CREATED", None)
    api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel")
    (job,) = listing(api, where="job_status='CANCELLED'").json()
    assert job["id"] == job_id and isinstance(job["completion_time"], int)


def test_the_complete_spelling_is_the_one_listed(start_sf: SfStarter) -> None:
    api = start_sf(complete_spelling="COMPLETE").oc
    job_id, _ = api.run("helpdesk", "Contact", "LastName\nA\n")
    (job,) = listing(api, where="job_status = 'COMPLETE'").json()
    assert job["id"] == job_id and job["status"] == "COMPLETE"
