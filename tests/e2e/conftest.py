"""End-to-end fixtures: one real Prefect server (with its UI) for the whole test session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.servers import wait_healthy

if TYPE_CHECKING:
    from playwright.sync_api import Browser

STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_executable() -> str:
    return shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``prefect server start`` on a free port with a fresh SQLite database and analytics off,
    started once per session. Flows run in-process talk to it; so do the CLI, ``hubload serve``
    and workers started by the tests (``PREFECT_API_URL`` is exported). Heartbeats are off in
    this process: each sync flow run would otherwise pay about a second to stop them."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_API_URL": url,
    }
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [prefect_executable(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(url, server, home / "server.log", STARTUP_SECONDS)
        os.environ["PREFECT_API_URL"] = url
        os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(home / "results")
        from prefect.settings import (  # noqa: PLC0415 - Prefect only where flows run
            PREFECT_API_URL,
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
            PREFECT_LOCAL_STORAGE_PATH,
            temporary_settings,
        )

        with temporary_settings(
            updates={
                PREFECT_API_URL: url,
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                PREFECT_LOCAL_STORAGE_PATH: str(home / "results"),
            }
        ):
            yield url
            # Send the runs' last log lines while the server still listens (else the log
            # worker retries against a closed port at exit).
            from prefect.logging.handlers import APILogWorker  # noqa: PLC0415

            APILogWorker.drain_all(timeout=10)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing (CI starts from a fresh machine).
    An install that fails fails the test, with apt's output: it must not be skipped."""
    from tests.e2e.browser import ChromiumInstallError, ensure_chromium  # noqa: PLC0415

    try:
        return ensure_chromium()
    except ChromiumInstallError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def browser(chromium: Path) -> Iterator[Browser]:
    from tests.e2e.browser import headless_chromium  # noqa: PLC0415 - only for UI tests

    with headless_chromium(chromium) as launched:
        yield launched
