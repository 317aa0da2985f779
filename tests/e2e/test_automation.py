"""The documented automation: a partial load's event reaches a notification, through the server."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from prefect.blocks.notifications import CustomWebhookNotificationBlock

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import BIN, REPO
from tests.e2e.helpers import MAPPINGS, SEED, run_load

pytestmark = [pytest.mark.slow]


class _Hook(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_partial_load_notifies_through_the_documented_automation(
    prefect_api: str,
    start_sb: SandboxFactory,
    use_target: Callable[[RunningSandbox], Path],
    tmp_path: Path,
) -> None:
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        block = CustomWebhookNotificationBlock(
            name="hubload-test-hook",
            url=f"http://127.0.0.1:{hook.server_address[1]}/notify",
            method="POST",
            json_data={"subject": "{{subject}}", "body": "{{body}}"},
            allow_private_urls=True,
        )
        block_id = block.save("hubload-test-hook", overwrite=True)
        automation = (REPO / "deployments/automations/notify-partial-load.yaml").read_text()
        path = tmp_path / "automation.yaml"
        path.write_text(automation.replace("BLOCK_DOCUMENT_ID", str(block_id)))
        created = subprocess.run(
            [str(BIN / "prefect"), "automation", "create", "--from-file", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert created.returncode == 0, created.stdout + created.stderr

        use_target(start_sb())
        _, summary = run_load(
            SEED, "contact", hub="marketing", mapping=str(MAPPINGS / "marketing_contact.yaml")
        )
        assert summary.rejected == 1
        deadline = time.monotonic() + 90
        while not _Hook.bodies and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _Hook.bodies, "no notification arrived"
        note = _Hook.bodies[0]
        assert "seed_contacts.csv -> marketing/contact partially loaded" in note["subject"]
        assert "read 10" in note["body"] and "rejected 1" in note["body"]
    finally:
        hook.shutdown()
        hook.server_close()
