"""The pipelined load: chunks are sent while the file is still being read; a file that does
not read whole sends nothing; a load killed mid-pipeline resumes without a duplicate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hubload.ledger import ChunkState, Ledger
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import BIN, REPO, run_hubload, sandbox_env, wait_for
from tests.e2e.helpers import run_load

pytestmark = [pytest.mark.slow]
UseTarget = Callable[[RunningSandbox], Path]


def contacts(path: Path, rows: int, tail: bytes = b"") -> Path:
    """A contact file of ``rows`` rows, each with a unique email, and ``tail`` appended."""
    body = "".join(f"L{i},F{i},u{i}@example.com\n" for i in range(rows))
    path.write_bytes(b"LastName,FirstName,Email\n" + body.encode() + tail)
    return path


def test_chunks_are_sent_while_the_file_is_still_being_read(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    path = contacts(tmp_path / "contacts.csv", 300_000)
    state, summary = run_load(path, "Contact", chunk_size=10_000)
    assert state.is_completed(), state.message
    assert summary.succeeded == 300_000 == sandbox.store.count_records("helpdesk", "Contact")
    chunks = Ledger.from_settings().chunks(summary.run_id)
    assert len(chunks) == 30 and all(c.state is ChunkState.DONE for c in chunks)
    first_sent = min(c.attempt_started_at for c in chunks if c.attempt_started_at)
    last_staged = max(c.staged_at for c in chunks if c.staged_at)
    assert first_sent < last_staged, "the first chunk went out only once the file was read"


def test_bad_bytes_in_the_last_chunk_send_nothing(
    start_sb: SandboxFactory, use_target: UseTarget, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_target(sandbox)
    path = contacts(tmp_path / "contacts.csv", 50_000, tail=b"Last,First,bad\xff\xfe@x.com\n")
    state, error = run_load(path, "Contact", chunk_size=1_000)
    assert state.name == "Unreadable" and "line 50002" in str(error), error
    assert sandbox.store.count_jobs() == 0
    (run,) = Ledger.from_settings().runs()
    assert Ledger.from_settings().chunks(run.run_id) == []  # not even staged


def test_a_load_killed_mid_pipeline_resumes_without_a_duplicate(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(processing_delay_ms=800)
    env = sandbox_env(tmp_path / "home", sandbox, prefect_api)
    path = contacts(tmp_path / "contacts.csv", 20_000)
    load = subprocess.Popen(
        [
            *[str(BIN / "hubload"), "load", str(path), "--object", "Contact"],
            *["--chunk-size", "2000", "--concurrency", "2"],
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: sandbox.store.count_jobs() >= 2, 120, "two uploads", None)
    finally:
        os.killpg(load.pid, signal.SIGKILL)
        load.wait()
    listed = json.loads(run_hubload(["runs", "--json"], env).stdout)
    (run,) = listed
    book = Ledger(f"sqlite:///{tmp_path / 'home' / 'ledger.db'}")
    states = [c.state for c in book.chunks(run["run_id"])]
    sent = sandbox.store.count_jobs()
    assert ChunkState.STAGED in states or len(states) < 10, states  # killed before the end
    resumed = run_hubload(["resume", run["run_id"], "--json"], env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads(resumed.stdout)["succeeded"] == 20_000
    assert sandbox.store.count_jobs() == 10 and sent >= 2  # no chunk uploaded twice
    emails = [r["Email"] for r in sandbox.store.records("helpdesk", "Contact")]
    assert len(emails) == 20_000 == len(set(emails))
