"""A load killed mid-way (a real process kill) resumes without duplicates; the ledger commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hubload.ledger import Ledger
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import BIN, REPO, run_hubload, sandbox_env, wait_for

pytestmark = [pytest.mark.slow]


def test_killed_load_resumes_without_duplicates(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(processing_delay_ms=1500)
    env = sandbox_env(tmp_path / "home", sandbox, prefect_api)
    path = tmp_path / "contacts.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(30)))
    log = (tmp_path / "load.log").open("w")
    load = subprocess.Popen(
        [
            str(BIN / "hubload"),
            "load",
            str(path),
            "--object",
            "Contact",
            "--chunk-size",
            "10",
            "--concurrency",
            "1",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: sandbox.store.count_jobs() >= 1, 120, "the first upload", tmp_path / "load.log"
        )
        time.sleep(0.3)
    finally:
        os.killpg(load.pid, signal.SIGKILL)  # the whole load dies: CLI, flow, tasks
        load.wait()
        log.close()
    assert sandbox.store.count_jobs() < 3

    listed = run_hubload(["runs", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)
    assert run["status"] == "running" and run["read"] is None

    resumed = run_hubload(["resume", run["run_id"][:24], "--json"], env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["read"], summary["succeeded"], summary["run_id"]) == (30, 30, run["run_id"])
    assert sandbox.store.count_jobs() == 3  # no chunk was uploaded twice
    emails = [r["Email"] for r in sandbox.store.records("helpdesk", "Contact")]
    assert len(emails) == 30 and len(set(emails)) == 30

    shown = run_hubload(["show", run["run_id"]], env)
    assert shown.returncode == 0 and "completed" in shown.stdout
    assert shown.stdout.count(" done ") == 3 or shown.stdout.count("done") >= 3
    again = run_hubload(["resume", run["run_id"]], env)
    assert again.returncode == 2 and "nothing to resume" in again.stderr


def test_the_resume_flow_takes_a_killed_run_up_by_its_flow_run_id(
    prefect_api: str,
    start_sb: SandboxFactory,
    use_target: Callable[[RunningSandbox], Path],
    tmp_path: Path,
) -> None:
    """From the UI: the resume flow, given the flow-run id of the run's page, finishes a load
    whose process was killed, sending only the chunks it had not sent."""
    from flows.resume import resume  # noqa: PLC0415 - Prefect, only where flows run

    sandbox = start_sb(processing_delay_ms=1500)
    home = use_target(sandbox)
    env = {**sandbox_env(home, sandbox, prefect_api), "HUBLOAD_INSTANCE_NAME": "test-sandbox"}
    path = tmp_path / "contacts.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(30)))
    load = subprocess.Popen(
        [
            *[str(BIN / "hubload"), "load", str(path), "--object", "Contact"],
            *["--chunk-size", "10", "--concurrency", "1"],
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: sandbox.store.count_jobs() >= 1, 120, "the first upload", None)
    finally:
        os.killpg(load.pid, signal.SIGKILL)
        load.wait()
    sent = sandbox.store.count_jobs()
    (run,) = Ledger.from_settings().runs()
    assert run.status == "running" and run.flow_run_id

    state = resume(run=run.flow_run_id, return_state=True)
    assert state.is_completed(), state.message
    assert sandbox.store.count_jobs() == 3 and sent < 3  # the sent chunks were not sent again
    emails = [r["Email"] for r in sandbox.store.records("helpdesk", "Contact")]
    assert len(emails) == 30 and len(set(emails)) == 30
    again = resume(run=run.flow_run_id, return_state=True)
    assert again.is_failed() and "nothing to resume" in (again.message or "")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_cleanly_and_the_printed_command_resumes(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path, sig: signal.Signals
) -> None:
    """A real signal to a real load: one line naming the run and the exact resume command (no
    traceback), the run recorded as interrupted with the rows it has not loaded, and the
    printed command finishing it with every row loaded once."""
    sandbox = start_sb(processing_delay_ms=1500)
    env = sandbox_env(tmp_path / "home", sandbox, prefect_api)
    path = tmp_path / "contacts.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(40)))
    load = subprocess.Popen(
        [str(BIN / "hubload"), "load", str(path), "--object", "Contact", "--chunk-size", "10"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: sandbox.store.count_jobs() >= 1, 120, "the first upload", None)
        load.send_signal(sig)
        _, stderr = load.communicate(timeout=120)
    finally:
        if load.poll() is None:
            load.kill()
    assert load.returncode == 130, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: interrupted: run ") and "hubload resume " in last
    command = last.split("take it up with: ")[1].split()

    listed = json.loads(run_hubload(["runs", "--json"], env).stdout)
    (run,) = listed
    assert run["status"] == "interrupted" and run["remaining"] > 0
    assert command == ["hubload", "resume", run["run_id"]]

    resumed = run_hubload([*command[1:], "--json"], env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads(resumed.stdout)["succeeded"] == 40
    emails = [r["Email"] for r in sandbox.store.records("helpdesk", "Contact")]
    assert len(emails) == 40 and len(set(emails)) == 40
