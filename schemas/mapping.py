"""Mapping specs: which source column (or constant) feeds each target field, and how.

A mapping file is YAML, keyed by target field (so one column can feed several fields)::

    object: Lead                       # optional; checked against the object being loaded
    fields:
      LastName: C_LastName             # a column, as is
      Email: {column: C_EmailAddress, transform: [trim, lower]}
      Phone: {column: C_BusPhone, transform: [digits_only]}
      Birthdate: {column: dob, transform: [{date: ["%d/%m/%Y", "%Y-%m-%d"]}]}
      LeadSource: {value: Purchased List}   # a constant
    checks:                            # extra checks, on top of those the metadata implies
      Email: [{pattern: '.*@acme\\.com', name: acme_only}, {unique: true}]

Problems are raised as ``MappingError`` (a ``ValueError``); the core turns them into its
``ConfigError``, since this layer imports nothing above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.catalog import FieldSpec, ObjectSpec

SimpleTransform = Literal["trim", "lower", "upper", "digits_only"]


class MappingError(ValueError):
    """The mapping is unreadable, or does not fit the target object or the file's header."""


class DateTransform(BaseModel):
    """Read a date in any of ``date`` (strftime formats) and write it as ``yyyy-MM-dd``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    date: list[str] = Field(min_length=1)


Transform = SimpleTransform | DateTransform


class FieldSource(BaseModel):
    """Where one target field's value comes from: a column (transformed) or a constant."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str | None = None
    value: str | None = None
    transform: list[Transform] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> FieldSource:
        if (self.column is None) == (self.value is None):
            raise ValueError("give exactly one of 'column' or 'value'")
        return self


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
    checks: dict[str, list[ExtraCheck]] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> MappingSpec:
        """Read a mapping file.

        Raises:
            MappingError: unreadable file, bad YAML, or a spec that does not fit the format.
        """
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise MappingError(f"mapping {path}: cannot read: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise MappingError(f"mapping {path}: not valid YAML: {_one_line(exc)}") from exc
        return cls.parse(raw, origin=str(path))

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
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise MappingError(f"{origin}: {where}: {first['msg']}") from exc


@dataclass(frozen=True)
class FieldMap:
    """One target field and its resolved source."""

    field: FieldSpec
    column: str | None
    value: str | None
    transforms: tuple[Transform, ...]

    @property
    def source(self) -> str:
        """How reasons name the source: ``column X`` or ``constant``."""
        return f"column {self.column}" if self.column is not None else "constant"


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping checked against the target object and the file's header."""

    target: ObjectSpec
    fields: tuple[FieldMap, ...]
    checks: dict[str, tuple[ExtraCheck, ...]]
    unmapped_columns: tuple[str, ...]

    @property
    def field_names(self) -> list[str]:
        """The target fields, in upload column order."""
        return [f.field.name for f in self.fields]

    @property
    def columns_used(self) -> list[str]:
        """The source columns read, each once, in first-use order."""
        return list(dict.fromkeys(f.column for f in self.fields if f.column is not None))


def resolve(
    spec: MappingSpec | None,
    target: ObjectSpec,
    header: list[str],
    *,
    upsert_key: str | None = None,
) -> ResolvedMapping:
    """Check a mapping against the object's metadata, then the header, and resolve it.

    Without a spec, columns named like fields (exactly, else case-insensitively) map themselves.
    With ``upsert_key`` the load is an upsert on that field: it must be mapped, and it gets the
    ``required`` and ``unique`` checks.

    Raises:
        MappingError: every problem found, in one line: an unknown or read-only field, a required
            field left unmapped, a missing column, or (without a spec) no column matching a field.
    """
    upsert = upsert_key is not None
    spec = spec or _automatic(header, target, upsert=upsert)
    problems: list[str] = []
    if spec.object and spec.object.lower() != target.name.lower():
        problems.append(f"the mapping is for object {spec.object!r}, not {target.name!r}")
    maps = _map_fields(spec, target, upsert=upsert, problems=problems)
    checks = _resolve_checks(spec, target, maps, upsert_key, problems)
    absent = [c for c in dict.fromkeys(m.column for m in maps if m.column) if c not in header]
    if absent:
        problems.append(
            f"column(s) not in the file's header: {', '.join(absent)} "
            f"(header: {', '.join(header[:12])}{', ...' if len(header) > 12 else ''})"
        )
    if problems:
        raise MappingError("; ".join(problems))
    used = {m.column for m in maps}
    return ResolvedMapping(
        target=target,
        fields=tuple(maps),
        checks=checks,
        unmapped_columns=tuple(c for c in header if c not in used),
    )


def _map_fields(
    spec: MappingSpec, target: ObjectSpec, *, upsert: bool, problems: list[str]
) -> list[FieldMap]:
    maps: list[FieldMap] = []
    for name, source in spec.fields.items():
        found = target.field_named(name)
        if found is None:
            problems.append(f"{target.name} has no field {name!r}")
        elif not found.writable(upsert=upsert):
            problems.append(f"field {found.name} is read-only")
        else:
            maps.append(FieldMap(found, source.column, source.value, tuple(source.transform)))
    mapped = {m.field.name for m in maps}
    missing = [f.name for f in target.required_fields() if f.name not in mapped]
    if missing:
        problems.append(f"required field(s) not mapped: {', '.join(missing)}")
    return maps


def _resolve_checks(
    spec: MappingSpec,
    target: ObjectSpec,
    maps: list[FieldMap],
    upsert_key: str | None,
    problems: list[str],
) -> dict[str, tuple[ExtraCheck, ...]]:
    mapped = {m.field.name for m in maps}
    checks: dict[str, tuple[ExtraCheck, ...]] = {}
    for name, extra in spec.checks.items():
        checked = target.field_named(name)
        if checked is None or checked.name not in mapped:
            problems.append(f"checks name field {name!r}, which is not mapped")
        else:
            checks[checked.name] = tuple(extra)
    if upsert_key is not None:
        key = target.field_named(upsert_key)
        if key is None or key.name not in mapped:
            problems.append(f"the upsert key {upsert_key!r} must be a mapped field")
        else:
            implied = (ExtraCheck(required=True), ExtraCheck(unique=True))
            checks[key.name] = (*checks.get(key.name, ()), *implied)
    return checks


def _automatic(header: list[str], target: ObjectSpec, *, upsert: bool) -> MappingSpec:
    # Columns named like read-only fields (an exported Id, CreatedDate) are left out, as unmapped.
    fields: dict[str, FieldSource] = {}
    for column in header:
        found = target.field_named(column)
        if found is not None and found.writable(upsert=upsert) and found.name not in fields:
            fields[found.name] = FieldSource(column=column)
    if not fields:
        raise MappingError(
            f"no column of the file is named like a field of {target.name} "
            f"(header: {', '.join(header[:8])}); give a mapping file"
        )
    return MappingSpec(fields=fields)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
