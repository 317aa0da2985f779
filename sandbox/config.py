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
    seeded with `seed` (unseeded when `seed` is None). `jwt_public_key` is a PEM public key or
    certificate, given as its text or as the path of a file holding it.
    """

    model_config = SettingsConfigDict(env_prefix="HUBLOAD_SANDBOX_", frozen=True)

    db_path: Path = DEFAULT_DB_PATH
    user_secret: SecretStr = SecretStr("sandbox-user-secret")
    org_secret: SecretStr = SecretStr("sandbox-org-secret")
    element_token: SecretStr = SecretStr("sandbox-element-token")
    signature_key: SecretStr | None = None
    workers: int = Field(default=2, ge=1, le=16)

    # The Salesforce face: OAuth client, tokens and the run-as user.
    salesforce_token: SecretStr = SecretStr("sandbox-salesforce-token")
    oauth_client_id: str = "sandbox-client-id"
    oauth_client_secret: SecretStr = SecretStr("sandbox-client-secret")
    refresh_token: SecretStr = SecretStr("sandbox-refresh-token")
    refresh_token_revoked: bool = False
    salesforce_username: str = "sandbox@hubload.invalid"
    jwt_public_key: str | None = None
    token_ttl_seconds: float = Field(default=7200.0, gt=0)
    jobs_page_size: int = Field(default=1000, ge=1, le=10000)

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

    def jwt_key_pem(self) -> str | None:
        """The JWT bearer flow's public key or certificate as PEM text, if one is configured.

        Raises:
            OSError: `jwt_public_key` names a file that cannot be read.
        """
        value = self.jwt_public_key
        if value is None or value.lstrip().startswith("-----BEGIN"):
            return value
        return Path(value).expanduser().read_text(encoding="utf-8")

    def authorization(self) -> str:
        """The exact `Authorization` header value a client must send."""
        return (
            f"User {self.user_secret.get_secret_value()}, "
            f"Organization {self.org_secret.get_secret_value()}, "
            f"Element {self.element_token.get_secret_value()}"
        )
