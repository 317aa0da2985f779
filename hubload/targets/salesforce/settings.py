"""The Salesforce target from the environment (prefix ``HUBLOAD_SF_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubload.errors import ConfigError
from hubload.targets.salesforce.config import (
    DEFAULT_API_VERSION,
    DEFAULT_LOGIN_URL,
    SalesforceConfig,
)


class SalesforceSettings(BaseSettings):
    """``HUBLOAD_SF_INSTANCE_URL``, ``HUBLOAD_SF_LOGIN_URL``, ``HUBLOAD_SF_CLIENT_ID`` and
    ``HUBLOAD_SF_CLIENT_SECRET`` (client credentials), ``HUBLOAD_SF_REFRESH_TOKEN``,
    ``HUBLOAD_SF_USERNAME`` with ``HUBLOAD_SF_PRIVATE_KEY_FILE`` (JWT bearer), or
    ``HUBLOAD_SF_ACCESS_TOKEN`` with the instance URL. All secrets are ``SecretStr``."""

    model_config = SettingsConfigDict(
        env_prefix="HUBLOAD_SF_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    instance_url: str | None = None
    login_url: str = DEFAULT_LOGIN_URL
    api_version: str = DEFAULT_API_VERSION
    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    username: str | None = None
    private_key: SecretStr | None = None
    private_key_file: Path | None = None
    instance_name: str | None = None

    @property
    def configured(self) -> bool:
        """Whether the environment names a Salesforce target."""
        return any(
            v is not None
            for v in (self.instance_url, self.access_token, self.client_id, self.refresh_token)
        )

    def config(self) -> SalesforceConfig:
        """The target these settings describe.

        Raises:
            ConfigError: no usable credentials, a malformed URL, an unreadable key file.
        """
        key = self.private_key
        if key is None and self.private_key_file is not None:
            try:
                key = SecretStr(self.private_key_file.expanduser().read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(
                    f"HUBLOAD_SF_PRIVATE_KEY_FILE {self.private_key_file}: cannot read it"
                ) from exc
        return SalesforceConfig(
            instance_url=self.instance_url,
            login_url=self.login_url,
            api_version=self.api_version,
            access_token=self.access_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            username=self.username,
            private_key=key,
            instance_name=self.instance_name,
        )
