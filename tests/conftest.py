"""Shared fixtures: real sandboxes on loopback, and a target environment pointing at one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from hubload.http import RetryPolicy
from hubload.targets.open_connectors import OpenConnectorsConfig, OpenConnectorsTarget
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.open_connectors.client import BulkClient
from sandbox.config import SandboxConfig
from sandbox.server import RunningSandbox, start_sandbox

SandboxFactory = Callable[..., RunningSandbox]


@pytest.fixture
def start_sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxFactory]:
    """Start sandboxes (each on its own free port and database); all stop at teardown."""
    started: list[RunningSandbox] = []

    def start(**config: Any) -> RunningSandbox:
        config.setdefault("db_path", tmp_path_factory.mktemp("sandbox") / "sandbox.db")
        sandbox = start_sandbox(SandboxConfig(**config))
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


def client_for(sandbox: RunningSandbox, hub: str = "helpdesk", **retry: Any) -> BulkClient:
    """A client of the sandbox over real loopback HTTP."""
    return BulkClient.connect(
        sandbox.base_url,
        Credentials.from_header(sandbox.authorization),
        hub,
        retry=RetryPolicy(**{"base_delay": 0.05, **retry}),
    )


def target_for(
    sandbox: RunningSandbox, hub: str = "helpdesk", **retry: Any
) -> OpenConnectorsTarget:
    """The sandbox's Open Connectors face as a ``Target``, over real loopback HTTP."""
    config = OpenConnectorsConfig(
        base_url=sandbox.base_url,
        hub=hub,
        credentials=Credentials.from_header(sandbox.authorization),
    )
    return OpenConnectorsTarget(config, retry=RetryPolicy(**{"base_delay": 0.05, **retry}))


def bad_credentials() -> Credentials:
    return Credentials(user_secret=SecretStr("wrong"), element_token=SecretStr("wrong"))


@pytest.fixture
def use_target(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Path]:
    """Point hubload's settings (the environment) at a sandbox's Open Connectors face; returns
    hubload's home. The sandbox is named as one instance whatever its port, so that a test may
    restart it (its faults gone) and stand for the same target coming back."""

    def use(sandbox: RunningSandbox, instance: str = "test-sandbox") -> Path:
        home = tmp_path / "home"
        monkeypatch.setenv("HUBLOAD_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("HUBLOAD_AUTHORIZATION", sandbox.authorization)
        monkeypatch.setenv("HUBLOAD_INSTANCE_NAME", instance)
        monkeypatch.setenv("HUBLOAD_HOME", str(home))
        for name in ("HUBLOAD_TARGET", "HUBLOAD_SF_INSTANCE_URL", "HUBLOAD_SF_CLIENT_ID"):
            monkeypatch.delenv(name, raising=False)
        return home

    return use
