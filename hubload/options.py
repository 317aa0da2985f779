"""One typed model of a load's options: the CLI builds it, the flow takes its fields, the ledger
stores it, and a resume or reprocess reads it back. Defaults and bounds are written here once."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hubload.errors import ConfigError
from hubload.operations import Operation
from hubload.targets.base import TargetKind

DateOrder = Literal["iso", "us", "european"]
MAX_CONCURRENCY = 16
MAX_CHUNK_ROWS = 1_000_000


class LoadSettings(BaseModel):
    """How a load goes: everything it is asked but the file and the object (a nightly source
    holds these for each of its files)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    target: TargetKind | None = Field(
        title="Target",
        default=None,
        description="open-connectors or salesforce (default: whichever is configured).",
    )
    hub: str | None = Field(
        title="Hub (Open Connectors)",
        default=None,
        description="Open Connectors hub (default: HUBLOAD_HUB, else helpdesk).",
    )
    target_block: str | None = Field(
        title="Target block",
        default=None,
        description="A saved target block to take the target from.",
    )
    mapping: str | None = Field(
        title="Mapping file", default=None, description="Mapping file (YAML or .sdl)."
    )
    operation: str = Field(
        title="Operation", default="insert", description="insert, upsert, update, delete..."
    )
    external_id: str | None = Field(
        title="Upsert key", default=None, description="The upsert's key field."
    )
    chunk_size: int = Field(
        title="Rows per job", default=50_000, ge=1, le=MAX_CHUNK_ROWS, description="Rows per job."
    )
    concurrency: int = Field(
        title="Jobs at once", default=4, ge=1, le=MAX_CONCURRENCY, description="Jobs in flight."
    )
    dry_run: bool = Field(
        title="Dry run", default=False, description="Read, map and validate only."
    )
    serial: bool = Field(
        title="Serial mode", default=False, description="One job at a time, in serial mode."
    )
    delimiter: str | None = Field(
        title="Delimiter", default=None, description="Field delimiter (default: detected)."
    )
    encoding: str | None = Field(
        title="Encoding", default=None, description="File encoding (default: UTF-8)."
    )
    poll_budget_seconds: float = Field(
        title="Wait for each job (seconds)",
        default=1800.0,
        gt=0,
        description="How long to wait for each job.",
    )
    report_dir: str | None = Field(
        title="Report folder", default=None, description="Where run folders go."
    )
    match_key: str | None = Field(
        title="Match key",
        default=None,
        description="A field (e.g. Email) to look rows up by when in doubt.",
    )
    settle_seconds: float = Field(
        title="Settling time (seconds)",
        default=10.0,
        ge=0,
        description="How long a lost upload's job may take to appear.",
    )
    heal_rounds: int = Field(
        title="Healing rounds",
        default=3,
        ge=0,
        le=10,
        description="Rounds of sending again the rows that failed for a passing reason.",
    )
    insert_nulls: bool = Field(
        title="Empty cells clear fields",
        default=False,
        description="An empty cell clears the field on update and upsert (sent as #N/A).",
    )
    timezone: str | None = Field(
        title="Time zone",
        default=None,
        description="IANA time zone of date-times written without an offset (e.g. Europe/Paris).",
    )
    dates: DateOrder = Field(
        title="Date order",
        default="iso",
        description="Dates as iso (yyyy-MM-dd), us (MM/dd/yyyy) or european (dd/MM/yyyy).",
    )
    truncate: bool = Field(
        title="Truncate long text",
        default=False,
        description="Cut over-long text to the field's length (reported per row).",
    )
    start_row: int = Field(
        title="Start at row",
        default=0,
        ge=0,
        description="Skip this many data rows first (to restart a file part-way).",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone name (e.g. Europe/Paris)")
        return value

    def operation_spec(self) -> Operation:
        """The operation these settings name.

        Raises:
            ConfigError: an unknown operation, or an external id with anything but upsert.
        """
        return Operation.of(self.operation, self.external_id, serial=self.serial)

    @property
    def effective_concurrency(self) -> int:
        """Jobs in flight: one in serial mode (jobs of one object in parallel lock each other's
        records, whatever the target's own serial mode does inside a job)."""
        return 1 if self.serial else self.concurrency


class LoadRequest(LoadSettings):
    """Everything a load was asked to do (not where it ran: that is the run's own record)."""

    file: str = Field(description="The CSV file to load (a path on the machine that runs it).")
    object_name: str = Field(description="The target object, e.g. Contact.")

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

    def recorded(self) -> dict[str, Any]:
        """The JSON the ledger stores."""
        return self.model_dump(mode="json")
