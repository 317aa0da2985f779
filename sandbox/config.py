"""The sandbox's settings: secrets, storage, workers, output style and fault injection."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_PATH = Path("~/.hubload/sandbox/sandbox.db")
MIB = 1024 * 1024


class SandboxConfig(BaseSettings):
    """Everything the sandbox reads at start-up; env vars use the prefix `HUBLOAD_SANDBOX_`.

    Every fault is off by default; rates are shares in [0, 1] drawn from a `random.Random`
    seeded with `seed` (unseeded when `seed` is None).
    """

    model_config = SettingsConfigDict(env_prefix="HUBLOAD_SANDBOX_", frozen=True)

    db_path: Path = DEFAULT_DB_PATH
    user_secret: SecretStr = SecretStr("sandbox-user-secret")
    org_secret: SecretStr = SecretStr("sandbox-org-secret")
    element_token: SecretStr = SecretStr("sandbox-element-token")
    signature_key: SecretStr | None = None
    workers: int = Field(default=2, ge=1, le=16)

    status_style: Literal["classic", "v3"] = "classic"
    complete_spelling: Literal["COMPLETED", "COMPLETE"] = "COMPLETED"
    max_upload_bytes: int = Field(default=150 * MIB, ge=1)

    seed: int | None = None
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_limit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after: int = Field(default=1, ge=0)
    latency_ms: int = Field(default=0, ge=0)
    lost_response_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    job_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    stuck_job_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    lock_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    processing_delay_ms: int = Field(default=0, ge=0)

    def resolved_db_path(self) -> Path:
        """The database path with `~` expanded."""
        return self.db_path.expanduser()

    def files_dir(self) -> Path:
        """Where uploaded files and query results live: a folder beside the database."""
        db = self.resolved_db_path()
        return db.with_name(db.stem + "-files")

    def authorization(self) -> str:
        """The exact `Authorization` header value a client must send."""
        return (
            f"User {self.user_secret.get_secret_value()}, "
            f"Organization {self.org_secret.get_secret_value()}, "
            f"Element {self.element_token.get_secret_value()}"
        )
