"""The targets hubload loads into, behind one interface (``Target``), and the registry that
makes one from a config. A new target kind is a new folder here and one entry below."""

from __future__ import annotations

import threading
from typing import Annotated

import httpx
from pydantic import Field

from hubload.errors import ConfigError
from hubload.targets.base import (
    Attempt,
    Capabilities,
    Settlement,
    Target,
    TargetIdentity,
    TargetKind,
    Upload,
    Verdict,
)
from hubload.targets.open_connectors import OpenConnectorsConfig, OpenConnectorsTarget
from hubload.targets.open_connectors.settings import OpenConnectorsSettings
from hubload.targets.salesforce import SalesforceConfig, SalesforceTarget
from hubload.targets.salesforce.settings import SalesforceSettings

TargetConfig = Annotated[OpenConnectorsConfig | SalesforceConfig, Field(discriminator="kind")]

__all__ = [
    "Attempt",
    "Capabilities",
    "Settlement",
    "Target",
    "TargetConfig",
    "TargetIdentity",
    "TargetKind",
    "Upload",
    "Verdict",
    "config_from_env",
    "configured_kinds",
    "connect",
    "open_target",
]


def configured_kinds() -> list[TargetKind]:
    """The target kinds the environment configures, in the order they are preferred."""
    found = []
    if OpenConnectorsSettings().configured:
        found.append(TargetKind.OPEN_CONNECTORS)
    if SalesforceSettings().configured:
        found.append(TargetKind.SALESFORCE)
    return found


def config_from_env(kind: TargetKind | None = None, *, hub: str | None = None) -> TargetConfig:
    """The target the environment describes: of ``kind`` when given, else the one configured.

    Raises:
        ConfigError: nothing (or not that kind) is configured, two kinds are and none was
            chosen, or the settings are unusable.
    """
    if kind is None:
        kinds = configured_kinds()
        if len(kinds) > 1:
            raise ConfigError(
                "both an Open Connectors and a Salesforce target are configured: choose one "
                "with --target (or HUBLOAD_TARGET)"
            )
        kind = kinds[0] if kinds else TargetKind.OPEN_CONNECTORS
    if kind is TargetKind.SALESFORCE:
        return SalesforceSettings().config()
    return OpenConnectorsSettings().config(hub)


def connect(config: TargetConfig, *, timeout: httpx.Timeout | None = None) -> Target:
    """A new target of ``config`` with its own connections (close it when done)."""
    if isinstance(config, SalesforceConfig):
        return SalesforceTarget(config, timeout=timeout)
    return OpenConnectorsTarget(config, timeout=timeout)


_OPEN: dict[str, Target] = {}
_LOCK = threading.Lock()


def open_target(config: TargetConfig, *, timeout: httpx.Timeout | None = None) -> Target:
    """The process's one target of ``config``: every task of every run in this process shares
    its connection pool (and, for Salesforce, its access token)."""
    key = f"{config.kind}:{config.fingerprint()}"
    with _LOCK:
        found = _OPEN.get(key)
        if found is None:
            found = _OPEN[key] = connect(config, timeout=timeout)
        return found
