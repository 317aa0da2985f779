"""Helpers for deployment tests: a saved target block, background processes, waiting for runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.exceptions import ObjectNotFound
from pydantic import SecretStr

from hubload.targets.open_connectors.auth import Credentials
from sandbox.server import RunningSandbox
from tasks.blocks import OpenConnectorsTarget

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def save_target_block(sandbox: RunningSandbox, name: str = "hubload-target") -> None:
    """Register the block type and save the sandbox's credentials under ``name``."""
    creds = Credentials.from_header(sandbox.authorization)
    OpenConnectorsTarget.register_type_and_schema()
    OpenConnectorsTarget(
        base_url=sandbox.base_url,
        user_secret=creds.user_secret,
        organization_secret=creds.organization_secret,
        element_token=SecretStr(creds.element_token.get_secret_value()),
    ).save(name, overwrite=True)


def process_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a background hubload/prefect process: no target in the environment
    (the block is the only way to the sandbox), a private home, the session's API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBLOAD_")}
    env.update(HUBLOAD_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    env.update(extra)
    return env


def sandbox_env(home: Path, sandbox: RunningSandbox, prefect_api: str) -> dict[str, str]:
    """`process_env` with the sandbox as the target, given in the environment."""
    return process_env(
        home,
        HUBLOAD_BASE_URL=sandbox.base_url,
        HUBLOAD_AUTHORIZATION=sandbox.authorization,
        PREFECT_API_URL=prefect_api,
    )


def run_hubload(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the hubload command to its end, from the repository, its output captured."""
    return subprocess.run(
        [str(BIN / "hubload"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def background(
    args: list[str], env: dict[str, str], log: Path, cwd: Path = REPO
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command until the block ends, then stop it with SIGTERM (SIGKILL after 20 s)."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def wait_for(predicate: Any, timeout: float, what: str, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def deployment_id(name: str) -> UUID | None:

    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(name).id
        except ObjectNotFound:
            return None


def run_deployment_like_the_ui(name: str, parameters: dict[str, Any]) -> UUID:
    """What the UI's Run button does: create a flow run of the deployment with parameters."""

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        return client.create_flow_run_from_deployment(deployment.id, parameters=parameters).id


def final_state(flow_run_id: UUID, timeout: float = 180, log: Path | None = None) -> Any:

    def done() -> Any:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(flow_run_id)
        return run if run.state and run.state.is_final() else None

    return wait_for(done, timeout, f"flow run {flow_run_id} to finish", log)


def artifact_data(flow_run_id: UUID, key: str) -> Any:
    """The data of a run's latest artifact of that key (a markdown or link artifact's text)."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
                key=ArtifactFilterKey(any_=[key]),
            )
        )
    assert found, f"flow run {flow_run_id} has no {key} artifact"
    return max(found, key=lambda a: a.created or 0).data  # type: ignore[arg-type,return-value]


def table_artifact(flow_run_id: UUID, key: str) -> list[dict[str, Any]]:
    """The data of a run's table artifact."""
    data = artifact_data(flow_run_id, key)
    return list(json.loads(data) if isinstance(data, str) else data)


def counts(flow_run_id: UUID) -> dict[str, int]:
    return {row["count"]: int(row["rows"]) for row in table_artifact(flow_run_id, "load-counts")}
