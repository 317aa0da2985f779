"""The fault options on the Salesforce face: failing and throttled calls, lost answers, jobs that
fail or never finish, and record locks."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from tests.sandbox.conftest import SfStarter
from tests.sandbox.test_sf_auth import client_credentials
from tests.sandbox.test_sf_ingest import assert_sf_error


def test_error_rate_answers_salesforce_500_and_503(start_sf: SfStarter) -> None:
    sf = start_sf(error_rate=1.0, seed=11).sf
    codes = set()
    for _ in range(12):
        answer = sf.http.post("jobs/ingest", json={"object": "Contact", "operation": "insert"})
        status = answer.status_code
        code = {500: "UNKNOWN_EXCEPTION", 503: "SERVER_UNAVAILABLE"}[status]
        assert_sf_error(answer, status, code)
        codes.add(status)
    assert codes == {500, 503}
    assert sf.sandbox.store.count_jobs() == 0
    unauthenticated = httpx.get(
        f"{sf.sandbox.salesforce_instance_url}/services/data/v62.0/sobjects"
    )
    assert unauthenticated.status_code in (500, 503)  # faults come before the token check
    # The login and the versions list are not faulted.
    assert client_credentials(sf.sandbox).status_code == 200
    assert httpx.get(f"{sf.sandbox.salesforce_instance_url}/services/data/").status_code == 200


def test_rate_limit_is_429_with_retry_after(start_sf: SfStarter) -> None:
    sf = start_sf(rate_limit_rate=1.0, retry_after=4).sf
    answer = sf.http.get("jobs/ingest")
    assert_sf_error(answer, 429, "REQUEST_LIMIT_EXCEEDED")
    assert answer.headers["Retry-After"] == "4"


def test_lost_answers_to_the_upload_and_the_close(
    start_sf: SfStarter, caplog: pytest.LogCaptureFixture
) -> None:
    sf = start_sf(lost_response_rate=1.0).sf
    job_id = sf.create("Contact", "insert")["id"]
    with caplog.at_level(logging.INFO), pytest.raises(httpx.RemoteProtocolError):
        sf.put(job_id, "LastName\nLost\n")
    # The data arrived although its answer did not: a second PUT is refused, the close works.
    assert_sf_error(sf.put(job_id, "LastName\nAgain\n"), 400, "INVALIDJOBSTATE")
    with pytest.raises(httpx.RemoteProtocolError):
        sf.set_state(job_id, "UploadComplete")
    info = sf.wait(job_id)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 1
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_failing_job_ends_failed_with_every_row_unprocessed(start_sf: SfStarter) -> None:
    faces = start_sf(job_error_rate=1.0)
    job_id, info = faces.sf.ingest("Contact", "insert", "LastName\nA\nB\n")
    assert info["state"] == "Failed"
    assert info["errorMessage"].startswith("InternalServerError : ")
    assert info["numberRecordsProcessed"] == 0
    unprocessed = faces.sf.results(job_id, "unprocessedRecords")
    assert sorted(row["LastName"] for row in unprocessed) == ["A", "B"]
    assert faces.sf.sandbox.store.count_records("helpdesk", "Contact") == 0
    _, info = faces.sf.query("SELECT Id FROM Contact")
    assert info["state"] == "Failed" and info["errorMessage"]
    _, status = faces.oc.run("helpdesk", "Contact", "LastName\nA\n")  # ERROR on the other face
    assert status["status"] == "ERROR"


def test_a_stuck_job_stays_in_progress_until_aborted(start_sf: SfStarter) -> None:
    sf = start_sf(stuck_job_rate=1.0).sf
    job_id = sf.start("Contact", "insert", "LastName\nA\n")
    deadline = time.monotonic() + 10
    while sf.info(job_id)["state"] != "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    assert sf.info(job_id)["state"] == "InProgress"
    aborted = sf.set_state(job_id, "Aborted")
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    assert sf.results(job_id, "unprocessedRecords") == [{"LastName": "A"}]
    assert sf.sandbox.store.count_records("helpdesk", "Contact") == 0


def test_record_locks_fail_rows(start_sf: SfStarter) -> None:
    sf = start_sf(lock_error_rate=1.0).sf
    job_id, info = sf.ingest("Contact", "insert", "LastName\nA\nB\nC\n")
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 3)
    failed = sf.results(job_id, "failedResults")
    assert len(failed) == 3
    assert all(
        r["sf__Error"].startswith(
            "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 003"
        )
        for r in failed
    )
    assert sf.results(job_id, "successfulResults") == []
