"""A headless Chromium for UI tests: Debian's package (installed with apt when missing), driven by
Playwright. Playwright's own browser download (``playwright install``) is not used."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
APT_TIMEOUT = 900  # seconds, for each apt-get call: a fresh CI machine downloads ~100 MB
# Without the background-networking flags Chromium keeps trying to reach Google's services;
# on a closed network those connections are refused and the browser stalls.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumInstallError(RuntimeError):
    """apt-get could not install Chromium; the message carries apt's output."""


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(
            ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_TIMEOUT}", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=APT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        raise ChromiumInstallError(
            f"apt-get {' '.join(args)} timed out after {APT_TIMEOUT}s\n{out[-4000:]}"
        ) from exc


def _has_candidate() -> bool:
    """Whether apt's package lists know a chromium package (else they need ``apt-get update``)."""
    policy = subprocess.run(
        ["apt-cache", "policy", "chromium"], capture_output=True, text=True, check=False
    ).stdout
    return "Candidate:" in policy and "Candidate: (none)" not in policy


def ensure_chromium() -> Path:
    """Return Debian's Chromium, installing it with apt-get first when it is missing.

    ``apt-get update`` runs only when the package lists do not know Chromium, or when an
    install from the current lists fails (stale lists name files the mirror no longer has).
    Raises ``ChromiumInstallError`` with apt's output when it cannot be installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        raise ChromiumInstallError(f"{CHROMIUM} is missing and there is no apt-get to install it")
    transcript: list[str] = []

    def step(*args: str) -> bool:
        done = _apt(*args)
        transcript.append(f"$ apt-get {' '.join(args)} -> {done.returncode}\n")
        transcript.append(done.stdout[-3000:] + done.stderr[-3000:])
        return done.returncode == 0

    install = ("install", "-y", "--no-install-recommends", "chromium")
    updated = False
    if not _has_candidate():
        updated = step("update")
    ok = step(*install)
    if not ok and not updated:
        ok = step("update") and step(*install)
    if not ok or not CHROMIUM.exists():
        raise ChromiumInstallError("could not install Chromium:\n" + "".join(transcript))
    return CHROMIUM


@contextmanager
def headless_chromium(executable: Path = CHROMIUM) -> Iterator[Browser]:
    """Playwright driving Debian's Chromium headless, closed with Playwright when the block ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
