"""Every fault kind, observed over real HTTP, and the reproducibility of the seeded dice."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from tests.sandbox.conftest import Starter
from tests.sandbox.test_api_basics import assert_envelope


def test_error_rate_answers_500_or_503_before_doing_anything(start: Starter) -> None:
    api = start(error_rate=1.0, seed=11)
    statuses = set()
    for _ in range(12):
        answer = api.upload("helpdesk", "Contact", "LastName\nA\n")
        body = assert_envelope(answer, answer.status_code)
        assert answer.status_code in (500, 503)
        assert "providerMessage" in body
        statuses.add(answer.status_code)
    assert statuses == {500, 503}
    assert api.sandbox.store.count_jobs() == 0
    bad_auth = httpx.get(api.sandbox.base_url + "/hubs/helpdesk/objects")
    assert bad_auth.status_code in (500, 503)  # faults come before auth
    assert httpx.get(api.sandbox.base_url + "/ping").status_code == 200  # not a hub call


def test_seeded_faults_are_reproducible(start: Starter) -> None:
    def sequence(seed: int) -> list[int]:
        api = start(error_rate=0.5, seed=seed)
        return [api.http.get("/hubs/helpdesk/objects").status_code for _ in range(20)]

    first = sequence(5)
    assert first == sequence(5)
    assert 200 in first and any(code >= 500 for code in first)


def test_rate_limit_is_429_with_retry_after(start: Starter) -> None:
    api = start(rate_limit_rate=1.0, retry_after=3)
    answer = api.http.get("/hubs/helpdesk/objects")
    assert_envelope(answer, 429)
    assert answer.headers["Retry-After"] == "3"


def test_latency_is_added_to_hub_calls(start: Starter) -> None:
    api = start(latency_ms=300)
    started = time.monotonic()
    assert api.http.get("/hubs/helpdesk/objects").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_lost_response_creates_and_processes_the_job(
    start: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    api = start(lost_response_rate=1.0)
    with caplog.at_level(logging.INFO), pytest.raises(httpx.RemoteProtocolError):
        api.upload("helpdesk", "Contact", "LastName\nLost\n")
    assert api.sandbox.store.job_ids() == [1001]
    assert api.wait("helpdesk", "1001")["status"] == "COMPLETED"
    assert api.sandbox.store.records("helpdesk", "Contact")[0]["LastName"] == "Lost"
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_job_error_ends_jobs_in_error_storing_nothing(start: Starter) -> None:
    api = start(job_error_rate=1.0)
    _, status = api.run("helpdesk", "Contact", "LastName\nA\n")
    assert status["status"] == "ERROR" and "simulated" in status["statusMessage"]
    assert api.sandbox.store.count_records("helpdesk", "Contact") == 0
    _, status = api.query("helpdesk", "select * from Contact")
    assert status["status"] == "ERROR"


def test_stuck_job_stays_running_until_cancelled(start: Starter) -> None:
    api = start(stuck_job_rate=1.0)
    job_id = api.start_job("helpdesk", "Contact", "LastName\nA\n")
    time.sleep(0.3)
    assert api.status("helpdesk", job_id)["status"] == "RUNNING"
    assert api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel").status_code == 200
    assert api.status("helpdesk", job_id)["status"] == "CANCELLED"
    assert api.sandbox.store.count_records("helpdesk", "Contact") == 0


def test_lock_errors_unless_serial(start: Starter) -> None:
    api = start(lock_error_rate=1.0)
    content = "LastName\nA\nB\nC\n"
    job_id, status = api.run("helpdesk", "Contact", content)
    assert (status["recordsCount"], status["recordsFailedCount"]) == (3, 3)
    errors = api.error_codes("helpdesk", job_id)
    assert all(
        e.startswith(
            "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 003"
        )
        for e in errors.values()
    )
    assert all(e.endswith(":--") for e in errors.values())
    _, status = api.run("helpdesk", "Contact", content, meta={"concurrency": "serial"})
    assert status["recordsFailedCount"] == 0
    assert api.sandbox.store.count_records("helpdesk", "Contact") == 3


def test_partial_lock_errors_are_seeded(start: Starter) -> None:
    content = "LastName\n" + "".join(f"N{n}\n" for n in range(200))

    def failures() -> int:
        api = start(lock_error_rate=0.25, seed=3)
        _, status = api.run("helpdesk", "Contact", content)
        assert (
            api.sandbox.store.count_records("helpdesk", "Contact")
            == 200 - status["recordsFailedCount"]
        )
        return int(status["recordsFailedCount"])

    first = failures()
    assert 20 < first < 80
    assert failures() == first


def test_processing_delay_shows_created(start: Starter) -> None:
    api = start(processing_delay_ms=400)
    job_id = api.start_job("helpdesk", "Contact", "LastName\nA\n")
    assert api.status("helpdesk", job_id)["status"] == "CREATED"
    assert api.wait("helpdesk", job_id)["status"] == "COMPLETED"
