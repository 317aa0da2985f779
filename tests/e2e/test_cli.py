"""The hubload command as users run it: a real process, the embedded sandbox, a Prefect API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import process_env, run_hubload, save_target_block
from tests.e2e.helpers import MAPPINGS, SEED

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_env(prefect_api: str, tmp_path: Path) -> dict[str, str]:
    """No target configured (so the embedded sandbox starts), a private home, the test API."""
    return process_env(tmp_path / "home", PREFECT_API_URL=prefect_api)


def test_seed_load_prints_summary_and_exits_1(cli_env: dict[str, str]) -> None:
    done = run_hubload(
        [
            "load",
            str(SEED),
            "--object",
            "contact",
            "--hub",
            "marketing",
            "--mapping",
            str(MAPPINGS / "marketing_contact.yaml"),
        ],
        cli_env,
    )
    assert done.returncode == 1, done.stderr
    assert "embedded sandbox" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("│")}
    assert "10" in lines["read"] and " 9 " in lines["succeeded"] and " 1 " in lines["rejected"]


def test_json_output_and_clean_exit_0(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_text("LastName,Email\nSmith,s@x.com\n")
    done = run_hubload(["load", str(path), "--object", "Contact", "--json"], cli_env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["read"], data["succeeded"], data["reconciles"]) == (1, 1, True)
    assert Path(data["reports"]["summary"]).exists()
    # The embedded sandbox keeps its data: a later command sees the job.
    job_id = data["jobs"][0]["job_id"]
    status = run_hubload(["status", job_id], cli_env)
    assert status.returncode == 0 and "COMPLETED" in status.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "/no/such/file.csv", "--object", "Contact"], "cannot open"),
        (["load", str(SEED), "--object", "Contact", "--mapping", "/no/such.yaml"], "cannot read"),
        (["load", str(SEED), "--object", "Contact"], "no column of the file is named like a field"),
        (
            ["load", str(SEED), "--object", "Contact", "--operation", "upsert"],
            "upsert needs an external id",
        ),
        (["load", str(SEED), "--object", "Contact", "--chunk-size", "0"], "chunk-size"),
        (["load", str(SEED), "--object", "Spaceship"], "Spaceship"),
    ],
)
def test_usage_and_config_errors_exit_2_in_one_line(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    done = run_hubload(args, cli_env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_objects_and_describe(cli_env: dict[str, str]) -> None:
    objects = run_hubload(["objects", "--hub", "marketing"], cli_env)
    assert objects.returncode == 0
    assert objects.stdout.split() == ["activities", "contact", "campaign", "list", "account"]
    described = run_hubload(["describe", "Lead"], cli_env)
    assert described.returncode == 0 and "Company" in described.stdout


def test_wrong_credentials_exit_2(cli_env: dict[str, str], prefect_api: str) -> None:
    from sandbox.config import SandboxConfig  # noqa: PLC0415
    from sandbox.server import start_sandbox  # noqa: PLC0415

    with start_sandbox(SandboxConfig(db_path=Path(cli_env["HUBLOAD_HOME"]) / "sb.db")) as sandbox:
        env = {
            **cli_env,
            "HUBLOAD_BASE_URL": sandbox.base_url,
            "HUBLOAD_AUTHORIZATION": "User x, Element y",
        }
        done = run_hubload(["objects"], env)
    assert done.returncode == 2 and "401" in done.stderr and "Traceback" not in done.stderr


def test_target_block_names_the_target(
    cli_env: dict[str, str], start_sb: SandboxFactory, tmp_path: Path
) -> None:
    """With no target in the environment, `--target-block` loads into the block's target (here a
    sandbox of the test's own), not into the embedded sandbox."""
    sandbox = start_sb()
    save_target_block(sandbox, "cli-target")
    path = tmp_path / "clean.csv"
    path.write_text("LastName,Email\nSmith,s@x.com\nJones,j@x.com\n")
    args = ["load", str(path), "--object", "Contact", "--target-block", "cli-target", "--json"]
    done = run_hubload(args, cli_env)
    assert done.returncode == 0, done.stderr
    assert "embedded sandbox" not in done.stderr
    assert json.loads(done.stdout)["succeeded"] == 2
    assert sandbox.store.count_records("helpdesk", "Contact") == 2
