"""Mapping files as written: which source column(s) or constant feed each target field, how
they are transformed, and the extra checks. YAML, or Data Loader's ``.sdl`` (``schemas.dataloader``
reads those into the same model).

A mapping file is YAML, keyed by target field (so one column can feed several fields)::

    object: Lead                       # optional; checked against the object being loaded
    fields:
      LastName: C_LastName             # a column, as is
      Email: {column: C_EmailAddress, transform: [trim, lower]}
      Phone: {column: C_BusPhone, transform: [digits_only]}
      Birthdate: {column: dob, transform: [{date: ["%d/%m/%Y", "%Y-%m-%d"]}]}
      LeadSource: {value: Purchased List}   # a constant
      Description: {columns: [Notes, Extra], separator: ", "}   # several columns joined
      Account.External_Id__c: AccountRef    # a parent record by its external id
    ignore: [Internal_Code]            # columns deliberately not loaded
    checks:                            # extra checks, on top of those the metadata implies
      Email: [{pattern: '.*@acme\\.com', name: acme_only}, {unique: true}]

Problems are raised as ``MappingError`` (a ``ValueError``); the core turns them into its
``ConfigError``, since this layer imports nothing above it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.patterns import check_pattern

SimpleTransform = Literal["trim", "lower", "upper", "digits_only"]


class MappingError(ValueError):
    """The mapping is unreadable, or does not fit the target object or the file's header."""


class DateTransform(BaseModel):
    """Read a date in any of ``date`` (strftime formats) and write it as ``yyyy-MM-dd``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    date: list[str] = Field(min_length=1)

    @field_validator("date")
    @classmethod
    def _formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            problem = strftime_problem(fmt)
            if problem:
                raise ValueError(f"date format {fmt!r}: {problem}")
        return formats


def strftime_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable strftime format (a bad or stray directive), else None."""
    if "%" not in fmt:
        return "no directive (such as %Y, %m, %d)"
    try:
        datetime.strptime("", fmt)  # only the format is checked
    except ValueError as exc:
        text = str(exc)
        if "does not match format" in text:
            return None  # a valid format that an empty text does not fit
        return text
    return None


Transform = SimpleTransform | DateTransform


class FieldSource(BaseModel):
    """Where one target field's value comes from: a column, several columns joined, or a
    constant; then transformed. ``parent_object`` names a lookup's parent type where the
    relationship can point to several (Data Loader's ``Parent:Account-Oracle_Id__c``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str | None = None
    columns: list[str] | None = Field(default=None, min_length=2)
    separator: str = ", "
    value: str | None = None
    transform: list[Transform] = Field(default_factory=list)
    parent_object: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FieldSource:
        given = [x is not None for x in (self.column, self.columns, self.value)]
        if sum(given) != 1:
            raise ValueError("give exactly one of 'column', 'columns' or 'value'")
        return self

    @property
    def source_columns(self) -> list[str]:
        """The columns this field reads (none for a constant)."""
        if self.column is not None:
            return [self.column]
        return list(self.columns or [])


class ExtraCheck(BaseModel):
    """A check of the mapping file, beyond those the target's metadata implies."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = None
    pattern: str | None = None
    one_of: list[str] | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    required: bool = False
    unique: bool = False

    @model_validator(mode="after")
    def _one_rule(self) -> ExtraCheck:
        rules = [
            self.pattern is not None,
            self.one_of is not None,
            self.min_length is not None,
            self.max_length is not None,
            self.required,
            self.unique,
        ]
        if sum(rules) != 1:
            raise ValueError(
                "each check takes exactly one of pattern, one_of, min_length, max_length, "
                "required, unique"
            )
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {self.pattern!r} is not a regular expression: {exc}"
                ) from exc
            check_pattern(self.pattern)  # what the validator runs: RE2, no look-around
        return self

    @property
    def label(self) -> str:
        """The check's name in rejection reasons."""
        if self.name:
            return self.name
        for key in ("pattern", "one_of", "min_length", "max_length"):
            value = getattr(self, key)
            if value is not None:
                return f"{key}({value})" if key.endswith("length") else key
        return "required" if self.required else "unique"


class MappingSpec(BaseModel):
    """A mapping file, as written."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    object: str | None = None
    fields: dict[str, FieldSource] = Field(default_factory=dict)
    ignore: list[str] = Field(default_factory=list)
    """Columns deliberately not loaded (not reported as unmapped)."""
    checks: dict[str, list[ExtraCheck]] = Field(default_factory=dict)
    origin: str | None = Field(default=None, exclude=True)
    """Where it was read from, for messages."""

    @classmethod
    def load(cls, path: Path) -> MappingSpec:
        """Read a mapping file.

        Raises:
            MappingError: unreadable file, bad YAML, or a spec that does not fit the format.
        """
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MappingError(f"mapping {path}: cannot read: {exc.strerror or exc}") from exc
        return cls.decode(data, origin=str(path))

    @classmethod
    def decode(cls, data: bytes, *, origin: str = "mapping") -> MappingSpec:
        """A mapping file's bytes (UTF-8 YAML) as a spec.

        Raises:
            MappingError: not UTF-8, bad YAML, or a spec that does not fit the format.
        """
        try:
            raw = yaml.safe_load(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise MappingError(
                f"mapping {origin}: line {line}: not UTF-8 text (save it as UTF-8)"
            ) from exc
        except yaml.YAMLError as exc:
            raise MappingError(f"mapping {origin}: not valid YAML: {_one_line(exc)}") from exc
        return cls.parse(raw, origin=origin)

    @classmethod
    def parse(cls, raw: Any, *, origin: str = "mapping") -> MappingSpec:
        """Build a spec from parsed YAML; a bare string field value means ``{column: ...}``.

        Raises:
            MappingError: the structure does not fit the format.
        """
        if not isinstance(raw, dict):
            raise MappingError(
                f"{origin}: expected a mapping with 'fields', got {type(raw).__name__}"
            )
        fields = raw.get("fields") or {}
        if isinstance(fields, dict):
            raw = {
                **raw,
                "fields": {
                    str(k): {"column": v} if isinstance(v, str) else v for k, v in fields.items()
                },
            }
        try:
            return cls.model_validate({**raw, "origin": origin})
        except ValidationError as exc:
            errors = exc.errors()
            # A union's members each fail: our own checks say more than "not one of these".
            first = next((e for e in errors if e["type"] == "value_error"), errors[0])
            where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("literal"))
            raise MappingError(f"{origin}: {where}: {first['msg']}") from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
