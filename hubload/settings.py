"""Plain settings from the environment (prefix ``HUBLOAD_``) or a ``.env`` file.

Each target kind reads its own connection settings (``hubload.targets``); these are the ones
every load shares: where hubload keeps its files and ledger, and the HTTP timeouts.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubload.errors import ConfigError
from hubload.targets.base import TargetKind


def default_home() -> Path:
    """hubload's home folder: run reports, the ledger, the embedded sandbox's database."""
    return Path.home() / ".hubload"


class Settings(BaseSettings):
    """hubload's home, its ledger, the target kind to use, and timeouts."""

    model_config = SettingsConfigDict(
        env_prefix="HUBLOAD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    target: TargetKind | None = Field(
        default=None,
        description="open-connectors or salesforce [default: whichever is configured]",
    )
    home: Path = Field(default_factory=default_home)
    ledger_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the run ledger [default: <home>/ledger.db]"
    )
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    write_timeout: float = 300.0
    pool_timeout: float = 30.0

    def resolved_ledger_url(self) -> str:
        """The ledger's URL: the configured one, else a SQLite file in the home folder.

        Raises:
            ConfigError: the home folder cannot be made (it is a file, or not writable).
        """
        if self.ledger_url:
            return self.ledger_url
        return f"sqlite:///{self.home_dir() / 'ledger.db'}"

    def home_dir(self) -> Path:
        """The home folder, made if missing.

        Raises:
            ConfigError: it cannot be made (a file stands there, or no permission).
        """
        home = self.home.expanduser()
        try:
            home.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise ConfigError(f"HUBLOAD_HOME {home}: not a folder (a file is in the way)") from exc
        except OSError as exc:
            raise ConfigError(
                f"HUBLOAD_HOME {home}: cannot make the folder ({exc.strerror or exc})"
            ) from exc
        return home

    def timeout(self) -> httpx.Timeout:
        """The HTTP timeouts, set once for every call (uploads get a long write timeout)."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )
