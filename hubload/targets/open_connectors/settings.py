"""The Open Connectors target from the environment: ``HUBLOAD_BASE_URL`` and its credentials."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubload.errors import ConfigError
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.open_connectors.config import DEFAULT_HUB, OpenConnectorsConfig


class OpenConnectorsSettings(BaseSettings):
    """``HUBLOAD_BASE_URL``, the credentials as the whole header (``HUBLOAD_AUTHORIZATION``) or
    its parts, and the default hub. All secrets are ``SecretStr``."""

    model_config = SettingsConfigDict(
        env_prefix="HUBLOAD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    base_url: str | None = Field(
        default=None,
        description="e.g. https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2",
    )
    authorization: SecretStr | None = None
    user_secret: SecretStr | None = None
    organization_secret: SecretStr | None = None
    element_token: SecretStr | None = None
    hub: str = DEFAULT_HUB
    instance_name: str | None = None

    @property
    def configured(self) -> bool:
        """Whether the environment names an Open Connectors target."""
        return self.base_url is not None

    def credentials(self) -> Credentials:
        """The credentials from the header or its parts.

        Raises:
            ConfigError: none were given, or the header cannot be parsed.
        """
        if self.authorization is not None:
            return Credentials.from_header(self.authorization.get_secret_value())
        if self.user_secret is None or self.element_token is None:
            raise ConfigError(
                "no credentials: set HUBLOAD_AUTHORIZATION, or HUBLOAD_USER_SECRET and "
                "HUBLOAD_ELEMENT_TOKEN (and HUBLOAD_ORGANIZATION_SECRET)"
            )
        return Credentials(
            user_secret=self.user_secret,
            organization_secret=self.organization_secret,
            element_token=self.element_token,
        )

    def config(self, hub: str | None = None) -> OpenConnectorsConfig:
        """The target these settings describe, for ``hub`` (default: ``HUBLOAD_HUB``).

        Raises:
            ConfigError: no base URL, a malformed one, or no usable credentials.
        """
        if self.base_url is None:
            raise ConfigError(
                "no Open Connectors target: set HUBLOAD_BASE_URL (or let the CLI start the sandbox)"
            )
        return OpenConnectorsConfig(
            base_url=self.base_url,
            hub=hub or self.hub,
            credentials=self.credentials(),
            instance_name=self.instance_name,
        )
