"""Where a load goes: a base URL, a hub and the credentials of its connector instance."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from hubload.client import BulkClient
from hubload.credentials import Credentials
from hubload.errors import ConfigError
from hubload.settings import Settings


class Target(BaseModel):
    """One hub of one Open Connectors tenant (or of the sandbox)."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    hub: str
    credentials: Credentials

    @classmethod
    def from_settings(cls, settings: Settings, hub: str | None = None) -> Target:
        """The target the settings describe.

        Raises:
            ConfigError: no base URL, or no usable credentials.
        """
        if settings.base_url is None:
            raise ConfigError("no target: set HUBLOAD_BASE_URL (or let the CLI start the sandbox)")
        return cls(
            base_url=settings.base_url,
            hub=hub or settings.hub,
            credentials=settings.credentials(),
        )

    def connect(self, settings: Settings | None = None) -> BulkClient:
        """A client of this target, with the settings' timeouts."""
        return BulkClient.connect(
            self.base_url,
            self.credentials,
            self.hub,
            timeout=(settings or Settings()).timeout(),
        )
