"""Plain settings from the environment (prefix ``HUBLOAD_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubload.credentials import Credentials
from hubload.errors import ConfigError


def default_home() -> Path:
    """hubload's home folder: run reports, the ledger, the embedded sandbox's database."""
    return Path.home() / ".hubload"


class Settings(BaseSettings):
    """Where the target is and how to reach it.

    With no ``base_url`` the CLI starts the embedded sandbox. Credentials come either as the whole
    header (``HUBLOAD_AUTHORIZATION``) or as its parts; both are secrets.
    """

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
    hub: str = "helpdesk"
    home: Path = Field(default_factory=default_home)
    ledger_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the run ledger [default: <home>/ledger.db]"
    )
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    write_timeout: float = 300.0
    pool_timeout: float = 30.0

    @property
    def target_configured(self) -> bool:
        """Whether a real target was configured (else the embedded sandbox is used)."""
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

    def resolved_ledger_url(self) -> str:
        """The ledger's URL: the configured one, else a SQLite file in the home folder."""
        if self.ledger_url:
            return self.ledger_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.home / 'ledger.db'}"

    def timeout(self) -> httpx.Timeout:
        """The HTTP timeouts, set once for every call (uploads get a long write timeout)."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )
