"""Waiting for a server a test started."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


def wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    """Wait until ``url/health`` answers 200.

    Raises:
        RuntimeError: the server exited, or was not healthy within ``seconds`` (with its log's
            end).
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not healthy in {seconds}s: {log.read_text()[-3000:]}")
