"""Plain settings from the environment (prefix ``HUBLOAD_``) or a ``.env`` file.

Each target kind reads its own connection settings (``hubload.targets``); these are the ones
every load shares: where hubload keeps its files and ledger, and the HTTP timeouts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubload.errors import ConfigError
from hubload.storage import Storage
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
    storage: str | None = Field(
        default=None,
        description=(
            "shared storage of inputs, reports and staged chunks: a folder on a shared mount or "
            "an fsspec URL (s3://bucket/prefix) [default: none, the home folder only]"
        ),
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description='fsspec options of the storage, as JSON: {"endpoint_url": "http://..."}',
    )
    storage_block: str | None = Field(
        default=None,
        description="a Prefect filesystem block naming the storage, instead of HUBLOAD_STORAGE",
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

    def shared_storage(self) -> Storage | None:
        """The shared storage named by ``HUBLOAD_STORAGE``, if any."""
        if not self.storage:
            return None
        return Storage(self.storage, dict(self.storage_options))

    def cache_dir(self, *parts: str) -> Path:
        """A folder of the local cache of the shared storage (under the home folder).

        Raises:
            ConfigError: the home folder cannot be made.
        """
        return self.home_dir().joinpath("cache", *parts)

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
