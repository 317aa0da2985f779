"""Planning a load before any row is read: the file's dialect and header, the operation checked
against the target, and the mapping checked against the object's fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hubload.csvfile import CsvSource, Dialect, detect_dialect
from hubload.errors import ConfigError
from hubload.mapping_files import MappingFile, read_mapping_file
from hubload.operations import ID_FIELD, Operation, OperationKind
from hubload.targets.base import Capabilities
from schemas.catalog import ObjectSpec
from schemas.mapping import (
    LoadMode,
    MappingError,
    ResolvedMapping,
    parent_lookups,
    resolve,
)


@dataclass(frozen=True)
class LoadPlan:
    """Everything decided before streaming: how to read the file and what each field gets."""

    file: Path
    dialect: Dialect
    header: list[str]
    mapping: ResolvedMapping
    operation: Operation
    notes: tuple[str, ...] = ()
    """What the mapping file's reading noticed (warnings to show)."""

    def open(self) -> CsvSource:
        """Open the file for its one streaming pass."""
        return CsvSource(self.file, self.dialect)


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
) -> LoadPlan:
    """Check the operation against the target, and the mapping against the object's fields and
    the file's header. ``describe`` reads a lookup's parent object (its fields are checked too).

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
        mapping = resolve(spec, target, header, mode=mode, parents=parents)
    except MappingError as exc:
        raise ConfigError(f"mapping for {target.name}: {exc}") from exc
    return LoadPlan(
        file=file,
        dialect=dialect,
        header=header,
        mapping=mapping,
        operation=operation,
        notes=mapping_read.notes if mapping_read is not None else (),
    )
