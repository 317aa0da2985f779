"""The standard way: `prefect deploy` with deployments/prefect.yaml, and a process worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound

from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import (
    BIN,
    REPO,
    background,
    counts,
    final_state,
    process_env,
    run_deployment_like_the_ui,
    save_target_block,
)
from tests.e2e.helpers import MAPPINGS, SEED

pytestmark = [pytest.mark.slow]


def ensure_process_pool(name: str) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def test_prefect_deploy_with_the_yaml_and_a_process_worker(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb()
    save_target_block(sandbox)
    ensure_process_pool("hubload")
    env = process_env(
        tmp_path / "home",
        HUBLOAD_REPO=str(REPO),
        PREFECT_LOCAL_STORAGE_PATH=str(tmp_path / "results"),
    )
    deployed = subprocess.run(
        [
            str(BIN / "prefect"),
            "--no-prompt",
            "deploy",
            "--all",
            "--prefect-file",
            "deployments/prefect.yaml",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    with get_client(sync_client=True) as client:
        load = client.read_deployment_by_name("load/load")
        nightly = client.read_deployment_by_name("nightly/nightly")
    assert load.work_pool_name == "hubload" and nightly.work_pool_name == "hubload"
    assert load.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
    ]
    assert load.parameters == {"target_block": "hubload-target"}  # a block name, never a secret
    assert nightly.schedules[0].schedule.cron == "0 2 * * *"

    log = tmp_path / "worker.log"
    worker = [str(BIN / "prefect"), "worker", "start", "--pool", "hubload", "--limit", "2"]
    with background(worker, env, log, cwd=tmp_path):
        run_id = run_deployment_like_the_ui(
            "load/load",
            {
                "file": str(SEED),
                "object_name": "contact",
                "hub": "marketing",
                "mapping": str(MAPPINGS / "marketing_contact.yaml"),
            },
        )
        run = final_state(run_id, timeout=300, log=log)
    assert run.state.name == "Partially loaded", log.read_text()[-3000:]
    assert counts(run_id) == {"read": 10, "succeeded": 9, "rejected": 1, "failed": 0}
    assert sandbox.store.count_records("marketing", "contact") == 9
