"""Planning a load before any row is read: the file's dialect and header, the checked mapping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hubload.csvfile import CsvSource, Dialect, detect_dialect
from hubload.errors import ConfigError
from hubload.submission import Operation
from schemas.catalog import ObjectSpec
from schemas.mapping import MappingError, MappingSpec, ResolvedMapping, resolve


@dataclass(frozen=True)
class LoadPlan:
    """Everything decided before streaming: how to read the file and what each field gets."""

    file: Path
    dialect: Dialect
    header: list[str]
    mapping: ResolvedMapping
    operation: Operation

    def open(self) -> CsvSource:
        """Open the file for its one streaming pass."""
        return CsvSource(self.file, self.dialect)


def check_inputs(
    file: Path,
    *,
    mapping_file: Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> tuple[MappingSpec | None, Dialect, list[str]]:
    """What can be checked without the target: the mapping file parses, the file opens and
    has a usable header. Returns the mapping spec, the dialect and the header.

    Raises:
        ConfigError: the mapping file is unreadable or malformed.
        InputFileError: the file cannot be opened, decoded, or has no usable header.
    """
    try:
        spec = MappingSpec.load(mapping_file) if mapping_file is not None else None
    except MappingError as exc:
        raise ConfigError(str(exc)) from exc
    dialect = detect_dialect(file, delimiter=delimiter, encoding=encoding)
    with CsvSource(file, dialect) as source:
        return spec, dialect, source.header


def plan_load(
    file: Path,
    target: ObjectSpec,
    operation: Operation,
    *,
    mapping_file: Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> LoadPlan:
    """Check the mapping against the object's metadata and the file's header.

    Raises:
        ConfigError: the mapping does not fit the object or the header.
        InputFileError: the file cannot be opened, decoded, or has no usable header.
    """
    spec, dialect, header = check_inputs(
        file, mapping_file=mapping_file, delimiter=delimiter, encoding=encoding
    )
    try:
        mapping = resolve(spec, target, header, upsert_key=operation.external_id)
    except MappingError as exc:
        raise ConfigError(f"mapping for {target.name}: {exc}") from exc
    return LoadPlan(file=file, dialect=dialect, header=header, mapping=mapping, operation=operation)
