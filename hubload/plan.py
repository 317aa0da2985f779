"""Planning a load before any row is read: the file's dialect and header, the operation checked
against the target, the mapping checked against the object's fields, and how values are read
and sent (Data Loader's settings: insert nulls, time zone, date order, truncation, start row),
carried by the plan so that reading and staging need nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hubload.csvfile import CsvSource, Dialect, detect_dialect
from hubload.errors import ConfigError
from hubload.mapping_files import MappingFile, read_mapping_file
from hubload.operations import ID_FIELD, Operation, OperationKind
from hubload.targets.base import Capabilities
from schemas.catalog import DATE_TYPES, DATETIME_TYPES, ObjectSpec
from schemas.mapping import (
    LoadMode,
    MappingError,
    ResolvedMapping,
    parent_lookups,
    resolve,
)
from schemas.values import ValueOptions


@dataclass(frozen=True)
class LoadPlan:
    """Everything decided before streaming: how to read the file and what each field gets."""

    file: Path
    dialect: Dialect
    header: list[str]
    mapping: ResolvedMapping
    operation: Operation
    notes: tuple[str, ...] = ()
    """What the mapping file's reading noticed, and settings that change nothing here
    (warnings to show)."""
    start_row: int = 0
    """Data rows skipped before the load starts (Data Loader's "start at row")."""

    def open(self) -> CsvSource:
        """Open the file for its one streaming pass (from ``start_row``)."""
        return CsvSource(self.file, self.dialect, start_row=self.start_row)


def load_mode(operation: Operation, capabilities: Capabilities) -> LoadMode:
    """What the operation asks of the mapping.

    Raises:
        ConfigError: the target does not support the operation.
    """
    kind = operation.kind
    if kind not in capabilities.operations:
        supported = ", ".join(k.value for k in OperationKind if k in capabilities.operations)
        raise ConfigError(
            f"this target does not support {kind.value} (it supports {supported}); "
            f"{kind.value} needs the salesforce target"
        )
    if kind is OperationKind.INSERT:
        return LoadMode(write="create")
    if kind is OperationKind.UPSERT:
        return LoadMode(
            write="upsert",
            key=operation.external_id,
            key_must_identify=capabilities.success_ids,
        )
    return LoadMode(write="update", key=ID_FIELD, key_only=kind.removes)


def check_inputs(
    file: Path,
    *,
    mapping_file: Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> tuple[MappingFile | None, Dialect, list[str]]:
    """What can be checked without the target: the mapping file parses, the file opens and
    has a usable header. Returns the mapping file, the dialect and the header.

    Raises:
        ConfigError: the mapping file is unreadable or malformed.
        InputFileError: the file cannot be opened, decoded, or has no usable header.
    """
    mapping = read_mapping_file(mapping_file) if mapping_file is not None else None
    dialect = detect_dialect(file, delimiter=delimiter, encoding=encoding)
    with CsvSource(file, dialect) as source:
        return mapping, dialect, source.header


def plan_load(
    file: Path,
    target: ObjectSpec,
    operation: Operation,
    capabilities: Capabilities,
    *,
    mapping_file: Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    describe: Callable[[str], ObjectSpec] | None = None,
    values: ValueOptions | None = None,
    start_row: int = 0,
) -> LoadPlan:
    """Check the operation against the target, and the mapping against the object's fields and
    the file's header. ``describe`` reads a lookup's parent object (its fields are checked too).
    ``values`` (how values are read and sent) and ``start_row`` are carried by the plan; a
    setting that changes nothing for this load is noted.

    Raises:
        ConfigError: the operation or the mapping does not fit the target, the object or the
            header.
        InputFileError: the file cannot be opened, decoded, or has no usable header.
    """
    mode = load_mode(operation, capabilities)
    mapping_read, dialect, header = check_inputs(
        file, mapping_file=mapping_file, delimiter=delimiter, encoding=encoding
    )
    spec = None
    if mapping_read is not None:
        mapping_read.check_direction(header, list(target.fields))
        spec = mapping_read.spec
    parents: dict[str, ObjectSpec] = {}
    if spec is not None and describe is not None:
        for relationship, parent in parent_lookups(spec, target).items():
            parents[relationship] = describe(parent)
    try:
        mapping = resolve(spec, target, header, mode=mode, parents=parents, options=values)
    except MappingError as exc:
        raise ConfigError(f"mapping for {target.name}: {exc}") from exc
    notes = mapping_read.notes if mapping_read is not None else ()
    return LoadPlan(
        file=file,
        dialect=dialect,
        header=header,
        mapping=mapping,
        operation=operation,
        notes=(*notes, *unused_settings(values or ValueOptions(), mapping, operation)),
        start_row=start_row,
    )


def unused_settings(
    asked: ValueOptions, mapping: ResolvedMapping, operation: Operation
) -> list[str]:
    """Warnings for the settings asked that change nothing in this load (Data Loader applies
    them silently; here they are said)."""
    notes: list[str] = []
    fields = [m.field for m in mapping.fields]
    if asked.clear_empty and not mapping.options.clear_empty:
        notes.append(
            f"insert nulls: changes nothing for {operation.kind.value} (empty cells clear "
            "fields on update and upsert only)"
        )
    if asked.timezone is not None and not any(f.native_type in DATETIME_TYPES for f in fields):
        notes.append(f"time zone {asked.timezone}: no date-time field is mapped")
    if asked.dates != "iso" and not any(
        f.native_type in DATE_TYPES | DATETIME_TYPES for f in fields
    ):
        notes.append(f"{asked.dates} dates: no date or date-time field is mapped")
    if asked.truncate and not any(mapping.options.cuts(f) for f in fields):
        notes.append("truncate: no mapped field is free text that may be cut")
    return notes
