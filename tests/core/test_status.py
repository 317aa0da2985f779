"""Job status parsing: both vocabularies fold into one typed status."""

import logging

import pytest

from hubload.jobs import JobState, JobStatus, parse_state


@pytest.mark.parametrize(
    ("raw", "state", "terminal"),
    [
        ("CREATED", JobState.CREATED, False),
        ("STARTED", JobState.STARTED, False),
        ("RUNNING", JobState.RUNNING, False),
        ("COMPLETED", JobState.COMPLETED, True),
        ("COMPLETE", JobState.COMPLETED, True),
        ("complete", JobState.COMPLETED, True),
        ("ERROR", JobState.ERROR, True),
        ("ABORTED", JobState.ABORTED, True),
        ("CANCELLED", JobState.CANCELLED, True),
        ("CANCELED", JobState.CANCELLED, True),
        ("CANCELLATION_PENDING", JobState.CANCELLATION_PENDING, False),
        ("JobComplete", JobState.COMPLETED, True),
        ("InProgress", JobState.RUNNING, False),
        ("Failed", JobState.ERROR, True),
    ],
)
def test_every_spelling_maps_to_one_state(raw: str, state: JobState, terminal: bool) -> None:
    assert parse_state(raw) is state
    assert state.is_terminal is terminal


def test_unknown_status_is_logged_and_not_terminal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hubload.client"):
        status = JobStatus.from_body({"id": "9", "status": "SNOOZING"})
    assert status.state is JobState.UNKNOWN
    assert not status.is_terminal
    assert status.raw_status == "SNOOZING"
    assert "SNOOZING" in caplog.text and "9" in caplog.text


def test_classic_body() -> None:
    status = JobStatus.from_body(
        {"id": "1234", "status": "COMPLETED", "recordsCount": 10, "recordsFailedCount": 2}
    )
    assert (status.job_id, status.records_count, status.failed_count) == ("1234", 10, 2)
    assert status.succeeded and status.is_terminal


def test_v3_body() -> None:
    status = JobStatus.from_body(
        {
            "id": 77,
            "jobStatus": "ERROR",
            "recordCount": "5",
            "errorCount": 5,
            "statusMessage": "vendor said no",
            "objectName": "Contact",
        }
    )
    assert status.job_id == "77"
    assert status.state is JobState.ERROR
    assert (status.records_count, status.failed_count) == (5, 5)
    assert status.message == "vendor said no"
    assert status.object_name == "Contact"
    assert status.is_terminal and not status.succeeded


def test_seed_page_body_without_counts() -> None:
    status = JobStatus.from_body({"id": "1234", "status": "COMPLETE"})
    assert status.succeeded
    assert status.records_count is None and status.failed_count is None
