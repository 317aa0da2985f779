"""A mapping resolved against the target object and the file's header, for one operation: every
field checked to exist and be settable, every column to be in the file, before any row is read.

The spec models (what a mapping file says) live in ``schemas.mapping_spec`` and are re-exported
here.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from schemas.catalog import FieldSpec, ObjectSpec, WriteMode
from schemas.mapping_spec import (
    DateTransform,
    ExtraCheck,
    FieldSource,
    MappingError,
    MappingSpec,
    SimpleTransform,
    Transform,
)
from schemas.values import ValueOptions

__all__ = [
    "DateTransform",
    "ExtraCheck",
    "FieldMap",
    "FieldSource",
    "LoadMode",
    "MappingError",
    "MappingSpec",
    "ResolvedMapping",
    "SimpleTransform",
    "Transform",
    "ValueOptions",
    "resolve",
    "suggest",
]


@dataclass(frozen=True)
class LoadMode:
    """What the load does, as far as the mapping is concerned."""

    write: WriteMode = "create"
    """How fields are set: on new records, new or existing ones, or existing ones only."""
    key: str | None = None
    """The field rows are matched on: an upsert's external id, or ``Id``."""
    key_only: bool = False
    """The upload is exactly the key column (a delete)."""
    key_must_identify: bool = False
    """The key must be an external id field or ``Id`` (the target refuses any other)."""


@dataclass(frozen=True)
class FieldMap:
    """One upload column: the target field (for a lookup, the parent's field under the header
    name ``Relationship.Field``) and its resolved source."""

    field: FieldSpec
    column: str | None
    value: str | None
    transforms: tuple[Transform, ...]
    columns: tuple[str, ...] = ()
    """All the columns it reads (several for a composite source, joined by ``separator``)."""
    separator: str = ", "

    @property
    def source(self) -> str:
        """How reasons name the source: ``column X``, ``columns X, Y`` or ``constant``."""
        if len(self.columns) > 1:
            return f"columns {', '.join(self.columns)}"
        return f"column {self.column}" if self.column is not None else "constant"


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping checked against the target object and the file's header."""

    target: ObjectSpec
    fields: tuple[FieldMap, ...]
    checks: dict[str, tuple[ExtraCheck, ...]]
    unmapped_columns: tuple[str, ...]
    ignored_columns: tuple[str, ...] = ()
    options: ValueOptions = dataclasses.field(default_factory=ValueOptions)
    """How values are read and sent: insert nulls, time zone, date order, truncation."""

    @property
    def field_names(self) -> list[str]:
        """The upload's columns (field names, ``Relationship.Field`` for lookups), in order."""
        return [f.field.name for f in self.fields]

    @property
    def columns_used(self) -> list[str]:
        """The source columns read, each once, in first-use order."""
        names: list[str] = []
        for fmap in self.fields:
            names += list(fmap.columns) or ([fmap.column] if fmap.column else [])
        return list(dict.fromkeys(names))

    @property
    def lookups(self) -> list[str]:
        """The upload columns that give a parent by one of its fields."""
        return [name for name in self.field_names if "." in name]


def suggest(name: str, candidates: list[str]) -> str:
    """`` (did you mean X?)`` for the closest candidate, or nothing."""
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.75)
    return f" (did you mean {lowered[close[0]]}?)" if close else ""


def parent_lookups(spec: MappingSpec, target: ObjectSpec) -> dict[str, str]:
    """The parent objects a spec's lookups name, by relationship (``Account`` -> ``Account``),
    so that their fields can be described before the mapping is resolved."""
    found: dict[str, str] = {}
    for name, source in spec.fields.items():
        relationship, dot, _ = name.partition(".")
        ref = target.relationship(relationship) if dot else None
        if ref is None:
            continue
        parent = source.parent_object or (ref.reference_to[0] if ref.reference_to else None)
        if parent:
            found[relationship.lower()] = parent
    return found


def resolve(
    spec: MappingSpec | None,
    target: ObjectSpec,
    header: list[str],
    *,
    mode: LoadMode | None = None,
    parents: Mapping[str, ObjectSpec] | None = None,
    options: ValueOptions | None = None,
) -> ResolvedMapping:
    """Check a mapping against the object's fields, then the header, and resolve it.

    Without a spec, columns named like fields map themselves: exact names first, then names that
    differ only in case. The key of ``mode`` must be mapped and gets the ``required`` and
    ``unique`` checks. ``parents`` are the described parent objects of the spec's lookups.
    ``options`` say how values are read and sent; clearing empty cells is kept only where the
    operation updates records (an insert has nothing to clear).

    Raises:
        MappingError: every problem found, in one line: an unknown or read-only field, a required
            field left unmapped, a missing column, a key that does not fit the operation, or
            (without a spec) no column matching a field.
    """
    mode = mode or LoadMode()
    spec = spec or _automatic(header, target, mode)
    problems: list[str] = []
    if spec.object and spec.object.lower() != target.name.lower():
        problems.append(f"the mapping is for object {spec.object!r}, not {target.name!r}")
    maps = _map_fields(spec, target, mode, parents or {}, problems)
    checks = _resolve_checks(spec, target, maps, mode, problems)
    if mode.key_only and mode.key is not None:
        others = [m.field.name for m in maps if m.field.name.lower() != mode.key.lower()]
        if others:
            problems.append(
                f"this operation takes exactly one column, {mode.key}; also mapped: "
                f"{', '.join(others)} (leave them out of the mapping)"
            )
    used = {c for m in maps for c in (m.columns or ((m.column,) if m.column else ()))}
    absent = [c for c in dict.fromkeys(sorted(used, key=str)) if c not in header]
    if absent:
        hint = suggest(absent[0], header)
        problems.append(
            f"column(s) not in the file's header: {', '.join(absent)}{hint} "
            f"(header: {', '.join(header[:12])}{', ...' if len(header) > 12 else ''})"
        )
    if problems:
        raise MappingError("; ".join(problems))
    ignored = set(spec.ignore)
    options = options or ValueOptions()
    if options.clear_empty and (mode.write == "create" or mode.key_only):
        options = replace(options, clear_empty=False)
    return ResolvedMapping(
        target=target,
        fields=tuple(maps),
        checks=checks,
        unmapped_columns=tuple(c for c in header if c not in used and c not in ignored),
        ignored_columns=tuple(c for c in header if c in ignored and c not in used),
        options=options,
    )


def _map_fields(
    spec: MappingSpec,
    target: ObjectSpec,
    mode: LoadMode,
    parents: Mapping[str, ObjectSpec],
    problems: list[str],
) -> list[FieldMap]:
    maps: list[FieldMap] = []
    satisfied: set[str] = set()
    for name, source in spec.fields.items():
        if "." in name:
            found = _lookup_field(name, source, target, mode, parents, problems)
            if found is None:
                continue
            field, reference = found
            satisfied.add(reference)
        else:
            plain = _plain_field(name, target, mode, problems)
            if plain is None:
                continue
            field = plain
        if field.name in {m.field.name for m in maps}:
            problems.append(f"field {field.name} is mapped twice")
            continue
        columns = tuple(source.source_columns)
        maps.append(
            FieldMap(
                field,
                columns[0] if columns else None,
                source.value,
                tuple(source.transform),
                columns=columns,
                separator=source.separator,
            )
        )
    if mode.write != "update":
        mapped = {m.field.name for m in maps} | satisfied
        missing = [f.name for f in target.required_fields() if f.name not in mapped]
        if missing and not mode.key_only:
            problems.append(f"required field(s) not mapped: {', '.join(missing)}")
    return maps


def _plain_field(
    name: str, target: ObjectSpec, mode: LoadMode, problems: list[str]
) -> FieldSpec | None:
    found = target.field_named(name)
    if found is None:
        hint = suggest(name, list(target.fields))
        problems.append(f"{target.name} has no field {name!r}{hint}")
        return None
    is_key = mode.key is not None and found.name.lower() == mode.key.lower()
    if not is_key and not found.writable(mode.write):
        why = "read-only" if found.read_only else f"not {_settable(mode.write)}"
        problems.append(f"field {found.name} is {why}")
        return None
    return found


def _lookup_field(
    name: str,
    source: FieldSource,
    target: ObjectSpec,
    mode: LoadMode,
    parents: Mapping[str, ObjectSpec],
    problems: list[str],
) -> tuple[FieldSpec, str] | None:
    """A ``Relationship.Field`` column: the parent record given by one of its lookup fields.
    Returns the upload's field spec (named as the header gives it) and the reference field."""
    relationship, _, parent_field = name.partition(".")
    ref = target.relationship(relationship)
    if ref is None or not parent_field:
        names = [f.relationship_name for f in target.fields.values() if f.relationship_name]
        hint = suggest(relationship, [n for n in names if n])
        problems.append(f"{target.name} has no relationship {relationship!r}{hint}")
        return None
    if not ref.writable(mode.write):
        problems.append(f"field {ref.name} ({relationship}) is not {_settable(mode.write)}")
        return None
    parent_name = source.parent_object or (
        ref.reference_to[0] if len(ref.reference_to) == 1 else None
    )
    if parent_name is None:
        problems.append(
            f"{relationship} can point to {', '.join(ref.reference_to) or 'several objects'}: "
            "name the parent's object (parent_object)"
        )
        return None
    parent = parents.get(relationship.lower())
    spec = FieldSpec(name=f"{ref.relationship_name}.{parent_field}", required=ref.required)
    if parent is not None:
        key = parent.field_named(parent_field)
        if key is None:
            hint = suggest(parent_field, list(parent.fields))
            problems.append(f"{parent.name} has no field {parent_field!r}{hint}")
            return None
        if not (key.external_id or key.id_lookup):
            problems.append(
                f"{parent.name}.{key.name} cannot find records: a lookup needs an external id "
                "(or id-lookup) field of the parent"
            )
            return None
        spec = FieldSpec(
            name=f"{ref.relationship_name}.{key.name}",
            native_type=key.native_type,
            type=key.type,
            length=key.length,
            required=ref.required,
        )
    return spec, ref.name


def _settable(mode: WriteMode) -> str:
    return {"create": "createable", "update": "updateable", "upsert": "createable or updateable"}[
        mode
    ]


def _resolve_checks(
    spec: MappingSpec,
    target: ObjectSpec,
    maps: list[FieldMap],
    mode: LoadMode,
    problems: list[str],
) -> dict[str, tuple[ExtraCheck, ...]]:
    mapped = {m.field.name.lower(): m.field for m in maps}
    checks: dict[str, tuple[ExtraCheck, ...]] = {}
    for name, extra in spec.checks.items():
        checked = mapped.get(name.lower())
        if checked is None:
            problems.append(f"checks name field {name!r}, which is not mapped")
        else:
            checks[checked.name] = tuple(extra)
    if mode.key is None:
        return checks
    key = mapped.get(mode.key.lower())
    if key is None:
        problems.append(f"the key {mode.key!r} of this operation must be a mapped field")
        return checks
    if mode.key_must_identify and not (key.external_id or key.name.lower() == "id"):
        problems.append(
            f"{key.name} cannot identify records: an upsert's key must be an external id "
            "field (or Id)"
        )
    implied = (ExtraCheck(required=True), ExtraCheck(unique=True))
    checks[key.name] = (*checks.get(key.name, ()), *implied)
    return checks


def _automatic(header: list[str], target: ObjectSpec, mode: LoadMode) -> MappingSpec:
    # Exact names first, then names differing only in case: a column named exactly like a field
    # wins over one that matches it only case-insensitively. Columns named like fields the load
    # may not set (an exported Id, CreatedDate) are left out, as unmapped.
    fields: dict[str, FieldSource] = {}
    key = mode.key.lower() if mode.key else None
    for exact in (True, False):
        for column in header:
            found = target.fields.get(column) if exact else target.field_named(column)
            if found is None or found.name in fields or column in _sources(fields):
                continue
            is_key = key is not None and found.name.lower() == key
            if mode.key_only and not is_key:
                continue
            if is_key or found.writable(mode.write):
                fields[found.name] = FieldSource(column=column)
    # A column named Relationship.Field (Account.External_Id__c), as Salesforce's own CSV
    # headers name a parent by one of its fields, maps itself to that lookup.
    for column in header:
        relationship, dot, parent_field = column.partition(".")
        ref = target.relationship(relationship) if dot and parent_field else None
        if ref is None or mode.key_only or column in fields or column in _sources(fields):
            continue
        if ref.writable(mode.write):
            fields[column] = FieldSource(column=column)
    if not fields:
        raise MappingError(
            f"no column of the file is named like a field of {target.name} "
            f"(header: {', '.join(header[:8])}); give a mapping file"
        )
    position = {column: i for i, column in enumerate(header)}
    ordered = sorted(fields.items(), key=lambda item: position[item[1].column or ""])
    return MappingSpec(fields=dict(ordered))


def _sources(fields: dict[str, FieldSource]) -> set[str]:
    return {s.column for s in fields.values() if s.column is not None}
