"""The nightly inbox: which files to load, where each goes, and where files go afterwards."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hubload.errors import ConfigError
from hubload.options import LoadSettings


class Source(LoadSettings):
    """Files matching ``pattern`` (a glob, relative to the inbox) load into one object, with
    the settings of any load (chunk size, encoding, Data Loader's insert nulls...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pattern: str
    object: str

    @model_validator(mode="after")
    def _upsert_key(self) -> Source:
        try:
            self.operation_spec()
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def load_parameters(self) -> dict[str, Any]:
        """The ``load`` flow's parameters for a file of this source (its settings)."""
        return {
            **self.model_dump(exclude={"pattern", "object"}),
            "object_name": self.object,
        }


class Schedule(BaseModel):
    """When the nightly run starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cron: str = "0 2 * * *"
    timezone: str = "UTC"


class FanOut(BaseModel):
    """How a nightly run that runs from a deployment spreads its files over the work pool:
    each file is a run of ``deployment``, any worker's, ``files_in_flight`` at a time (loads
    of one target object still run their jobs one at a time, across workers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    deployment: str = "load/request"
    files_in_flight: int = Field(default=4, ge=1, le=100)
    wait_hours: float = Field(default=12.0, gt=0)
    """How long a file's run is waited for before the night gives up on it (left in the inbox;
    a run that ends later is found by the next night, which takes it up)."""


class NightlyConfig(BaseModel):
    """The nightly loads' configuration file (YAML)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    inbox: Path
    archive: Path | None = None
    failed: Path | None = None
    schedule: Schedule = Schedule()
    reprocess_transient: bool = False
    fan_out: FanOut = FanOut()
    sources: list[Source] = Field(default_factory=list)
    """What to load; none is allowed (a config imported with every job still to complete)."""

    @classmethod
    def load(cls, path: Path) -> NightlyConfig:
        """Read the file; relative paths are taken from the file's folder.

        Raises:
            ConfigError: unreadable, not YAML, or not of this shape.
        """
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            config = cls.model_validate(raw)
        except OSError as exc:
            raise ConfigError(f"nightly config {path}: cannot read: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"nightly config {path}: not valid YAML") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"nightly config {path}: {where}: {first['msg']}") from exc
        return config.anchored(path.parent)

    def anchored(self, base: Path) -> NightlyConfig:
        """The same config with relative paths resolved against ``base``."""

        def resolve(p: Path) -> Path:
            p = p.expanduser()
            return p if p.is_absolute() else (base / p).resolve()

        inbox = resolve(self.inbox)
        sources = [
            s.model_copy(update={"mapping": str(resolve(Path(s.mapping)))}) if s.mapping else s
            for s in self.sources
        ]
        return self.model_copy(
            update={
                "inbox": inbox,
                "archive": resolve(self.archive) if self.archive else inbox / "archive",
                "failed": resolve(self.failed) if self.failed else inbox / "failed",
                "sources": sources,
            }
        )


@dataclass(frozen=True)
class InboxFile:
    """A file of the inbox and the source it matched (the first pattern that matches)."""

    path: Path
    source: Source


def scan(config: NightlyConfig) -> list[InboxFile]:
    """The inbox's files that match a source, in name order (not archive/ or failed/)."""
    found: dict[Path, InboxFile] = {}
    for source in config.sources:
        for path in sorted(config.inbox.glob(source.pattern)):
            if path.is_file() and path not in found:
                found[path] = InboxFile(path, source)
    return [found[p] for p in sorted(found)]


def move_to(path: Path, folder: Path) -> Path:
    """Move a file into ``folder``, never overwriting: a name taken gets a numbered suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        target = folder / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    return Path(shutil.move(str(path), str(target)))
