"""How to reach one hub of an Open Connectors tenant: its API's base URL, the hub, credentials."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from hubload.targets.base import TargetIdentity, TargetKind
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.urls import checked_url

DEFAULT_HUB = "helpdesk"


class OpenConnectorsConfig(BaseModel):
    """One hub of one Open Connectors tenant (or of the sandbox's Open Connectors face)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["open-connectors"] = "open-connectors"
    base_url: str
    """e.g. ``https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2``."""
    hub: str = DEFAULT_HUB
    credentials: Credentials
    instance_name: str | None = None
    """Names the instance in the target's identity instead of the URL (the embedded sandbox,
    whose port changes at every start, names its database)."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return checked_url(value, "the Open Connectors base URL (HUBLOAD_BASE_URL)")

    @property
    def identity(self) -> TargetIdentity:
        """Kind, instance and hub: what runs record."""
        return TargetIdentity(
            TargetKind.OPEN_CONNECTORS, self.instance_name or self.base_url, self.hub
        )

    def fingerprint(self) -> str:
        """Tells two configs apart, secrets included, without showing them (a cache key)."""
        parts = [
            self.base_url,
            self.hub,
            self.instance_name or "",
            self.credentials.authorization_header(),
        ]
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
