"""A private PostgreSQL server for tests: Debian's binaries (installed with apt when missing),
a throw-away cluster in a temporary folder, run as the ``postgres`` user on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APT_TIMEOUT = 900


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def ensure_postgres() -> Path:
    """The folder of PostgreSQL's server binaries, installing Debian's package if needed.

    Raises:
        RuntimeError: apt could not install it (with apt's output).
    """
    found = _bin_dir()
    if found is not None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
    ):
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    found = _bin_dir()
    if found is None:
        raise RuntimeError("postgresql installed, but no initdb under /usr/lib/postgresql")
    return found


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    subprocess.run(_as_postgres(args), capture_output=True, text=True, timeout=120, check=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yield its URL; stop and remove it afterwards. Its folder is a fresh one
    under the system's temp dir (the server's user must reach it: not under pytest's tmp)."""
    bindir = ensure_postgres()
    base = Path(tempfile.mkdtemp(prefix="hubload-pg-"))
    data = base / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    _run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "log"),
            "-w",
            "-o",
            options,
            "start",
        ]
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)]
            if subprocess.run(ready, capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.2)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True, timeout=60, check=False)
        shutil.rmtree(base, ignore_errors=True)
