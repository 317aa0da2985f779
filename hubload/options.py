"""One typed model of a load's options: the CLI builds it, the flow takes its fields, the ledger
stores it, and a resume or reprocess reads it back. Defaults and bounds are written here once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hubload.errors import ConfigError
from hubload.operations import Operation
from hubload.targets.base import TargetKind

MAX_CONCURRENCY = 16
MAX_CHUNK_ROWS = 1_000_000


class LoadRequest(BaseModel):
    """Everything a load was asked to do (not where it ran: that is the run's own record)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    file: str = Field(description="The CSV file to load (a path on the machine that runs it).")
    object_name: str = Field(description="The target object, e.g. Contact.")
    target: TargetKind | None = Field(
        default=None,
        description="open-connectors or salesforce (default: whichever is configured).",
    )
    hub: str | None = Field(
        default=None, description="Open Connectors hub (default: HUBLOAD_HUB, else helpdesk)."
    )
    target_block: str | None = Field(
        default=None, description="A saved target block to take the target from."
    )
    mapping: str | None = Field(default=None, description="Mapping file (YAML or .sdl).")
    operation: str = Field(default="insert", description="insert, upsert, update, delete...")
    external_id: str | None = Field(default=None, description="The upsert's key field.")
    chunk_size: int = Field(default=50_000, ge=1, le=MAX_CHUNK_ROWS, description="Rows per job.")
    concurrency: int = Field(default=4, ge=1, le=MAX_CONCURRENCY, description="Jobs in flight.")
    dry_run: bool = Field(default=False, description="Read, map and validate only.")
    serial: bool = Field(default=False, description="One job at a time, in serial mode.")
    delimiter: str | None = Field(default=None, description="Field delimiter (default: detected).")
    encoding: str | None = Field(default=None, description="File encoding (default: UTF-8).")
    poll_budget_seconds: float = Field(
        default=1800.0, gt=0, description="How long to wait for each job."
    )
    report_dir: str | None = Field(default=None, description="Where run folders go.")
    match_key: str | None = Field(
        default=None, description="A field (e.g. Email) to look rows up by when in doubt."
    )
    settle_seconds: float = Field(
        default=10.0, ge=0, description="How long a lost upload's job may take to appear."
    )
    heal_rounds: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Rounds of sending again the rows that failed for a passing reason.",
    )

    @classmethod
    def of(cls, **values: Any) -> LoadRequest:
        """A request from loose values (a form, a recorded run, the CLI).

        Raises:
            ConfigError: a value is out of bounds or of the wrong kind (the first one, in one
                line).
        """
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "options"
            raise ConfigError(f"{where}: {first['msg']}") from exc

    def operation_spec(self) -> Operation:
        """The operation this request names.

        Raises:
            ConfigError: an unknown operation, or an external id with anything but upsert.
        """
        return Operation.of(self.operation, self.external_id, serial=self.serial)

    @property
    def effective_concurrency(self) -> int:
        """Jobs in flight: one in serial mode (jobs of one object in parallel lock each other's
        records, whatever the target's own serial mode does inside a job)."""
        return 1 if self.serial else self.concurrency

    def recorded(self) -> dict[str, Any]:
        """The JSON the ledger stores."""
        return self.model_dump(mode="json")
