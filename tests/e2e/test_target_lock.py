"""Two loads of the same target object, in two processes, never run their jobs at the same time."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from uuid import uuid4

import pytest
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.exceptions import ObjectNotFound

from tasks.runs import ensure_slot
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import BIN, REPO, sandbox_env, wait_for

pytestmark = [pytest.mark.slow]


def test_loads_of_one_object_take_turns(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(processing_delay_ms=1000)
    env = sandbox_env(tmp_path / "home", sandbox, prefect_api)
    files = []
    for name in ("first", "second"):
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "LastName,Email\n" + "".join(f"{name}{i},{name}{i}@x.com\n" for i in range(120))
        )
        files.append(path)
    in_flight: list[set[str]] = []
    done = threading.Event()

    def watch() -> None:  # which runs have a job not yet finished at the target, over time
        while not done.is_set():
            jobs = (sandbox.store.job(i) for i in sandbox.store.job_ids())
            in_flight.append(
                {
                    (job.path or "").split("-chunk-")[0]
                    for job in jobs
                    if job is not None
                    and job.kind == "upload"
                    and job.status in {"CREATED", "RUNNING"}
                }
            )
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()

    def start(path: Path) -> subprocess.Popen[str]:
        args = [
            "load",
            str(path),
            "--object",
            "Contact",
            "--chunk-size",
            "10",
            "--concurrency",
            "2",
        ]
        return subprocess.Popen(
            [str(BIN / "hubload"), *args, "--json"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # The second load starts once the first has jobs at the target (its twelve chunks keep
    # them there for seconds), so both reach their jobs while the other has some in flight.
    loads = [start(files[0])]
    try:
        wait_for(lambda: any(in_flight[-5:]), 120, "the first load's jobs")
        loads.append(start(files[1]))
        outputs = [load.communicate(timeout=300) for load in loads]
    finally:
        done.set()
        watcher.join()
    assert [load.returncode for load in loads] == [0, 0], outputs
    assert max(len(runs) for runs in in_flight) == 1  # never two runs' jobs at once
    assert sum(1 for runs in in_flight if runs) > 5  # and the watcher did see jobs in flight
    assert len({run for runs in in_flight for run in runs}) == 2
    assert sandbox.store.count_records("helpdesk", "Contact") == 240


def test_a_slot_made_meanwhile_by_another_worker_is_taken_as_made(
    prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loads of one object starting at once on several workers all look for the object's slot
    and find it missing; all but one are then refused its creation (409). That is no error."""
    name = f"hubload-test-slot-{uuid4().hex[:8]}"
    ensure_slot(name)
    with get_client(sync_client=True) as client:
        made = client.read_global_concurrency_limit_by_name(name)

    def missing(self: SyncPrefectClient, name: str) -> None:
        raise ObjectNotFound(http_exc=Exception("not found"))

    # This worker looked before the other one made it, and creates it second.
    monkeypatch.setattr(SyncPrefectClient, "read_global_concurrency_limit_by_name", missing)
    ensure_slot(name)
    monkeypatch.undo()
    with get_client(sync_client=True) as client:
        after = client.read_global_concurrency_limit_by_name(name)
    assert (after.id, after.limit) == (made.id, 1)
