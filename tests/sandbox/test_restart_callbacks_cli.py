"""Persistence across restarts, job-end callbacks with signatures, and the command line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import Starter


def test_restart_keeps_records_and_finishes_a_running_job(start: Starter, tmp_path: Path) -> None:
    db_path = tmp_path / "kept.db"
    first = start(db_path=db_path)
    first.run("helpdesk", "Contact", "LastName\nKept\n")
    first.http.close()
    first.sandbox.stop()

    stuck = start(db_path=db_path, stuck_job_rate=1.0)
    job_id = stuck.start_job("helpdesk", "Contact", "LastName\nLater\n")
    time.sleep(0.2)
    assert stuck.status("helpdesk", job_id)["status"] == "RUNNING"
    stuck.http.close()
    stuck.sandbox.stop()

    again = start(db_path=db_path)
    assert again.wait("helpdesk", job_id)["status"] == "COMPLETED"
    names = [r["LastName"] for r in again.sandbox.store.records("helpdesk", "Contact")]
    assert names == ["Kept", "Later"]
    assert again.sandbox.store.job_ids() == [1001, 1002]
    assert again.start_job("helpdesk", "Contact", "LastName\nNext\n") == "1003"


def test_restart_redoes_a_created_job(start: Starter, tmp_path: Path) -> None:
    db_path = tmp_path / "created.db"
    waiting = start(db_path=db_path, processing_delay_ms=60_000)
    job_id = waiting.start_job("helpdesk", "Lead", "LastName,Company\nA,B\n")
    waiting.http.close()
    waiting.sandbox.stop()
    again = start(db_path=db_path)
    assert again.wait("helpdesk", job_id)["status"] == "COMPLETED"
    assert again.sandbox.store.count_records("helpdesk", "Lead") == 1


def test_restart_settles_a_job_stored_but_not_yet_marked(start: Starter, tmp_path: Path) -> None:
    db_path = tmp_path / "settle.db"
    first = start(db_path=db_path)
    job_id, _ = first.run("helpdesk", "Contact", "LastName\nA\n,\n")
    # As if the sandbox died between the records' commit and the status update.
    first.sandbox.store.connection().execute(
        "UPDATE jobs SET status = 'RUNNING', records_count = 0, failed_count = 0 WHERE id = ?",
        (int(job_id),),
    )
    first.http.close()
    first.sandbox.stop()
    again = start(db_path=db_path)
    status = again.status("helpdesk", job_id)
    assert (status["status"], status["recordsCount"], status["recordsFailedCount"]) == (
        "COMPLETED",
        2,
        1,
    )
    assert again.sandbox.store.count_records("helpdesk", "Contact") == 1


@pytest.mark.slow
def test_stop_mid_job_rolls_back_and_restart_redoes_it(start: Starter, tmp_path: Path) -> None:
    db_path = tmp_path / "midway.db"
    rows = 150_000
    content = "C_EmailAddress,C_LastName\n" + "".join(f"p{n}@acme.com,P{n}\n" for n in range(rows))
    busy = start(db_path=db_path)
    job_id = busy.start_job("marketing", "contact", content)
    deadline = time.monotonic() + 10
    while busy.status("marketing", job_id)["status"] == "CREATED":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    busy.http.close()
    busy.sandbox.stop()
    assert busy.sandbox.store is not None
    again = start(db_path=db_path)
    status = again.wait("marketing", job_id, timeout=60)
    assert (status["status"], status["recordsCount"]) == ("COMPLETED", rows)
    assert again.sandbox.store.count_records("marketing", "contact") == rows


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def wait_for(received: list[tuple[dict[str, str], bytes]], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(received) < count:
        assert time.monotonic() < deadline, received
        time.sleep(0.01)


def test_signed_callbacks_for_upload_and_query(start: Starter) -> None:
    key = "MySecretEventSignatureKey"
    api = start(signature_key=key, complete_spelling="COMPLETE")
    with receiver() as (url, received):
        job_id, _ = api.run("helpdesk", "Contact", "LastName\nA\n,\n", callback=url)
        wait_for(received, 1)
        answer = api.http.post(
            "/hubs/helpdesk/bulk/query",
            params={"q": "select * from Contact"},
            headers={"Elements-Async-Callback-Url": url},
        )
        wait_for(received, 2)
    headers, body = received[0]
    assert json.loads(body) == {
        "id": job_id,
        "status": "COMPLETE",
        "recordsCount": 2,
        "recordsFailedCount": 1,
        "objectName": "Contact",
    }
    for headers, body in received:
        digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
        expected = "sha256=" + base64.b64encode(digest).decode()
        assert hmac.compare_digest(headers["Elements-Webhook-Signature"], expected)
    assert json.loads(received[1][1])["id"] == answer.json()["id"]


def test_unsigned_callback_on_cancel_and_failing_callback(
    start: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    api = start(processing_delay_ms=5000)
    with receiver() as (url, received):
        job_id = api.start_job("helpdesk", "Contact", "LastName\nA\n", callback=url)
        api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel")
        wait_for(received, 1)
    headers, body = received[0]
    assert "Elements-Webhook-Signature" not in headers
    assert json.loads(body)["status"] == "CANCELLED"

    quick = start()
    with caplog.at_level(logging.WARNING, logger="sandbox.callbacks"):
        quick.run("helpdesk", "Contact", "LastName\nA\n", callback="http://127.0.0.1:9/nowhere")
        _, status = quick.run("helpdesk", "Contact", "LastName\nB\n")
        deadline = time.monotonic() + 10
        while not any("callback" in r.message for r in caplog.records):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert status["status"] == "COMPLETED"


def test_bad_callback_url_is_400(start: Starter) -> None:
    api = start()
    answer = api.upload("helpdesk", "Contact", "LastName\nA\n", callback="ftp://example.com/x")
    assert answer.status_code == 400


@pytest.mark.slow
def test_command_line_prints_url_and_header_then_serves(tmp_path: Path) -> None:
    env = {**os.environ, "HUBLOAD_SANDBOX_USER_SECRET": "from-env"}
    command = [sys.executable, "-m", "sandbox", "--port", "0", "--db", str(tmp_path / "cli.db")]
    with subprocess.Popen(
        [*command, "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],  # the repository root: `sandbox` importable
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(5)]
            base_url = lines[0].split(" on ", 1)[1].strip()
            authorization = lines[1].split(": ", 1)[1].strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/elements/api-v2")
            assert authorization.startswith("User from-env, Organization ")
            headers = {"Authorization": authorization}
            answer = httpx.get(base_url + "/hubs/marketing/objects", headers=headers)
            assert answer.json()[0] == "activities"
            # The Salesforce face: its instance URL, a ready header, and the OAuth client.
            instance = lines[2].split(": ", 1)[1].strip()
            assert instance == base_url.removesuffix("/elements/api-v2")
            bearer = {"Authorization": lines[3].split(": ", 1)[1].strip()}
            assert bearer["Authorization"].startswith("Bearer ")
            sobjects = httpx.get(instance + "/services/data/v62.0/sobjects", headers=bearer)
            assert sobjects.status_code == 200
            oauth = lines[4]
            assert f"POST {instance}/services/oauth2/token" in oauth
            client_id = oauth.split("client id ", 1)[1].split(",", 1)[0]
            secret = oauth.split("client secret ", 1)[1].split(",", 1)[0]
            form = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            }
            token = httpx.post(instance + "/services/oauth2/token", data=form)
            assert token.status_code == 200 and token.json()["instance_url"] == instance
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
