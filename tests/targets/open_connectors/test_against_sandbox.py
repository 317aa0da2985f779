"""The client against the real sandbox over loopback HTTP: jobs, errors, cancel, query, faults."""

from __future__ import annotations

import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from hubload.errors import (
    AuthError,
    FatalApiError,
    JobTimeoutError,
    NotFoundError,
    RetriableError,
)
from hubload.http import RetryPolicy
from hubload.jobs import JobState, PollPolicy
from hubload.targets.open_connectors.client import BulkClient
from hubload.targets.open_connectors.signature import verify_signature
from tests.conftest import SandboxFactory, bad_credentials, client_for

QUICK = PollPolicy(budget=30, initial_interval=0.02, max_interval=0.2)


def csv_file(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_upload_poll_completed_with_counts_and_errors(
    start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb()
    path = csv_file(
        tmp_path,
        "LastName,FirstName,Email\nSmith,Norm,norm@acme.com\n,Ann,ann@acme.com\nDoe,John,notanemail\n"
        "Taylor,Chuck,chuck@acme.com\nJones,Mel,\n",
    )
    with client_for(sandbox) as client:
        job = client.upload("Contact", path, path_name="/contacts.csv")
        assert job.state is JobState.CREATED and job.job_id
        final = client.wait(job.job_id, QUICK)
        assert final.state is JobState.COMPLETED and final.succeeded
        assert (final.records_count, final.failed_count) == (5, 2)
        errors = client.errors(job.job_id)
    assert {(e.record_number, e.code) for e in errors} == {
        (2, "REQUIRED_FIELD_MISSING"),
        (3, "INVALID_EMAIL_ADDRESS"),
    }
    assert errors[0].record["FirstName"] in {"Ann", "John"}
    assert sandbox.store.count_records("helpdesk", "Contact") == 3


def test_errors_are_paged_30_then_7(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb()
    rows = [f",First{i}" for i in range(37)] + [f"Last{i},First{i}" for i in range(5)]
    path = csv_file(tmp_path, "LastName,FirstName\n" + "\n".join(rows) + "\n")
    pages: list[tuple[int, str | None, str | None]] = []

    def record(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/errors"):
            pages.append(
                (
                    int(response.headers["Elements-Returned-Count"]),
                    response.request.url.params.get("nextPage"),
                    response.headers.get("Elements-Next-Page-Token"),
                )
            )

    with client_for(sandbox) as client:
        job = client.upload("Contact", path)
        assert client.wait(job.job_id, QUICK).failed_count == 37
        client.http.event_hooks["response"].append(record)
        errors = client.errors(job.job_id, page_size=30)
    assert len(errors) == 37 and len({e.record_number for e in errors}) == 37
    assert [count for count, _, _ in pages] == [30, 7]
    assert pages[0][1] is None and pages[0][2]  # first page: a token to the next
    assert pages[1][1] == pages[0][2] and pages[1][2] is None  # last page: no token


def test_upsert_updates_instead_of_duplicating(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb()
    first = csv_file(tmp_path, "LastName,Email\nSmith,a@x.com\nDoe,b@x.com\n", "one.csv")
    second = csv_file(tmp_path, "LastName,Email\nSmythe,a@x.com\nNew,c@x.com\n", "two.csv")
    with client_for(sandbox) as client:
        for path in (first, second):
            job = client.upload("Contact", path, metadata={"identifierFieldName": "Email"})
            assert client.wait(job.job_id, QUICK).failed_count == 0
    names = sorted(r["LastName"] or "" for r in sandbox.store.records("helpdesk", "Contact"))
    assert names == ["Doe", "New", "Smythe"]


def test_cancel_then_cancel_again(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb(processing_delay_ms=5000)
    path = csv_file(tmp_path, "LastName\nSmith\n")
    with client_for(sandbox) as client:
        job = client.upload("Contact", path)
        cancelled = client.cancel(job.job_id)
        assert cancelled.state is JobState.CANCELLED
        assert client.status(job.job_id).state is JobState.CANCELLED
        with pytest.raises(FatalApiError) as info:
            client.cancel(job.job_id)
        assert info.value.status_code == 409
    assert sandbox.store.count_records("helpdesk", "Contact") == 0


def test_query_and_download_csv_and_json_lines(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb()
    path = csv_file(tmp_path, 'LastName,Email,Title\nSmith,a@x.com,"CEO, ""big"""\nDoe,b@x.com,\n')
    with client_for(sandbox) as client:
        client.wait(client.upload("Contact", path).job_id, QUICK)
        query = client.create_query("select LastName, Title from Contact where Email = 'a@x.com'")
        done = client.wait(query.job_id, QUICK)
        assert done.succeeded and done.records_count == 1
        as_csv = io.BytesIO()
        client.download(query.job_id, "Contact", as_csv, fmt="csv")
        as_jsonl = io.BytesIO()
        client.download(query.job_id, "Contact", as_jsonl, fmt="jsonl")
        everyone = client.query_records("select * from contacts", "Contact", QUICK)
    text = as_csv.getvalue().decode()
    assert text.splitlines()[0].split(",")[1:] == ["LastName", "Title"]
    assert 'Smith,"CEO, ""big"""' in text
    (line,) = as_jsonl.getvalue().decode().splitlines()
    assert json.loads(line)["Title"] == 'CEO, "big"'
    assert sorted(r["LastName"] for r in everyone) == ["Doe", "Smith"]


def test_auth_failure_is_an_auth_error(start_sb: SandboxFactory) -> None:
    sandbox = start_sb()
    with (
        BulkClient.connect(sandbox.base_url, bad_credentials(), "helpdesk") as client,
        pytest.raises(AuthError) as info,
    ):
        client.list_objects()
    assert info.value.status_code == 401 and info.value.request_id
    assert "wrong" not in str(info.value)


def test_unknown_object_job_and_bad_files(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb(max_upload_bytes=1000)
    with client_for(sandbox) as client:
        with pytest.raises(NotFoundError):
            client.describe("Spaceship")
        with pytest.raises(NotFoundError):
            client.status("999999")
        with pytest.raises(FatalApiError) as empty:
            client.upload("Contact", csv_file(tmp_path, "", "empty.csv"))
        assert empty.value.status_code == 400
        with pytest.raises(FatalApiError) as big:
            client.upload("Contact", csv_file(tmp_path, "LastName\n" + "x\n" * 1000, "big.csv"))
        assert big.value.status_code == 413
        binary = tmp_path / "bin.csv"
        binary.write_bytes(b"\x00\x01\x02PK")
        with pytest.raises(FatalApiError) as not_csv:
            client.upload("Contact", binary)
        assert not_csv.value.status_code == 400


def test_v3_status_and_complete_spelling(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb(status_style="v3", complete_spelling="COMPLETE")
    with client_for(sandbox) as client:
        job = client.upload("Contact", csv_file(tmp_path, 'LastName\nA\n""\n'))
        final = client.wait(job.job_id, QUICK)
    assert final.raw_status == "COMPLETE" and final.succeeded
    assert (final.records_count, final.failed_count) == (2, 1)


@pytest.mark.parametrize(
    ("faults", "status", "retry_after"),
    [
        ({"error_rate": 1.0}, {500, 503}, None),
        ({"rate_limit_rate": 1.0, "retry_after": 3}, {429}, 3.0),
    ],
)
def test_server_faults_map_to_retriable(
    start_sb: SandboxFactory, faults: dict[str, float], status: set[int], retry_after: float | None
) -> None:
    sandbox = start_sb(seed=1, **faults)
    with client_for(sandbox, attempts=1) as client, pytest.raises(RetriableError) as info:
        client.list_objects()
    assert info.value.status_code in status
    assert info.value.retry_after == retry_after
    assert not info.value.outcome_unknown


def test_transient_faults_are_retried_by_reads(start_sb: SandboxFactory) -> None:
    sandbox = start_sb(seed=7, error_rate=0.5)
    with client_for(sandbox, attempts=12, base_delay=0.01) as client:
        for _ in range(10):
            assert "Contact" in client.list_objects()


def test_latency(start_sb: SandboxFactory) -> None:
    sandbox = start_sb(latency_ms=300)
    with client_for(sandbox) as client:
        started = time.monotonic()
        client.list_objects()
    assert time.monotonic() - started >= 0.3


def test_lost_response_is_retriable_with_unknown_outcome(
    start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(lost_response_rate=1.0)
    with client_for(sandbox) as client, pytest.raises(RetriableError) as info:
        client.upload("Contact", csv_file(tmp_path, "LastName\nSmith\n"))
    assert info.value.outcome_unknown
    deadline = time.monotonic() + 10
    while sandbox.store.count_records("helpdesk", "Contact") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.store.count_records("helpdesk", "Contact") == 1  # the job did exist


def test_job_error_and_stuck_jobs(start_sb: SandboxFactory, tmp_path: Path) -> None:
    path = csv_file(tmp_path, "LastName\nSmith\n")
    with client_for(start_sb(job_error_rate=1.0)) as client:
        final = client.wait(client.upload("Contact", path).job_id, QUICK)
    assert final.state is JobState.ERROR and final.is_terminal and final.message
    with client_for(start_sb(stuck_job_rate=1.0)) as client:
        job = client.upload("Contact", path)
        with pytest.raises(JobTimeoutError) as info:
            client.wait(job.job_id, PollPolicy(budget=0.5, initial_interval=0.05))
        assert info.value.last_status == "RUNNING"
        assert client.cancel(job.job_id).state is JobState.CANCELLED


def test_lock_errors_unless_serial(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb(lock_error_rate=1.0)
    path = csv_file(tmp_path, "LastName\nA\nB\n")
    with client_for(sandbox) as client:
        locked = client.upload("Contact", path)
        client.wait(locked.job_id, QUICK)
        errors = client.errors(locked.job_id)
        serial = client.upload("Contact", path, metadata={"concurrency": "serial"})
        assert client.wait(serial.job_id, QUICK).failed_count == 0
    assert [e.code for e in errors] == ["UNABLE_TO_LOCK_ROW"] * 2
    assert all(e.transient for e in errors)


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, str | None]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers.get("Elements-Webhook-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str | None]]]]:
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    server.shutdown()
    server.server_close()


def test_signed_callback(
    start_sb: SandboxFactory, tmp_path: Path, receiver: tuple[str, list[tuple[bytes, str | None]]]
) -> None:
    url, received = receiver
    sandbox = start_sb(signature_key="MySecretEventSignatureKey")
    with client_for(sandbox) as client:
        job = client.upload("Contact", csv_file(tmp_path, "LastName\nA\n"), callback_url=url)
        client.wait(job.job_id, QUICK)
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    body, signature = received[0]
    assert json.loads(body)["id"] == job.job_id and json.loads(body)["status"] == "COMPLETED"
    assert verify_signature(body, signature, "MySecretEventSignatureKey")
    assert not verify_signature(body, signature, "another key")


def test_retry_policy_honours_retry_after(start_sb: SandboxFactory) -> None:
    sandbox = start_sb(seed=3, rate_limit_rate=0.5, retry_after=2)
    slept: list[float] = []
    with client_for(sandbox) as base:
        client = BulkClient(
            base.http, "helpdesk", retry=RetryPolicy(attempts=10), sleep=slept.append
        )
        for _ in range(6):
            client.list_objects()
    assert slept and set(slept) == {2.0}
