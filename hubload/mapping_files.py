"""Reading a mapping file, YAML or Data Loader's ``.sdl``, into the one mapping model, with what
was noticed on the way (the silent things Data Loader does, said out loud).

A ``.sdl`` whose diagnostics include an error (a value the user wrote would never arrive), or
that reads as an extract map, is refused at plan time with the file and line. One error of the
table is applied instead, as Data Loader applies it, and reported: a constant that beats a
column mapped to the same field (users moving their jobs expect the same records). A file is read
once per process for the same content (the CLI checks it before the flow plans with it), and
only if it is a regular file: a FIFO or a device given as the mapping is refused, never waited
on.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from hubload.csvbytes import open_regular
from hubload.errors import ConfigError, InputFileError
from schemas.dataloader import (
    Code,
    Severity,
    convert,
    decode_properties,
    extract_evidence,
    interpret_load,
)
from schemas.dataloader.properties import PropertiesFile
from schemas.mapping import MappingError, MappingSpec

SDL_SUFFIX = ".sdl"
APPLIED_AS_DATA_LOADER_DOES = frozenset({Code.CONSTANT_OVERRIDES_COLUMN})


@dataclass(frozen=True)
class MappingFile:
    """A mapping file read: its spec and the notes worth telling the user (warnings)."""

    path: Path
    spec: MappingSpec
    notes: tuple[str, ...] = ()
    properties: PropertiesFile | None = None
    """The Data Loader file as parsed, for the checks that need the header or the fields."""

    def check_direction(self, header: Sequence[str], fields: Collection[str]) -> None:
        """Refuse a Data Loader extract map given to a load (known from the header and fields).

        Raises:
            ConfigError: it reads as an extract map.
        """
        if self.properties is None:
            return
        direction = extract_evidence(self.properties, header=header, fields=fields)
        if direction.is_extract:
            raise ConfigError(f"mapping {self.path}: {direction.reason}")


def read_mapping_file(path: Path) -> MappingFile:
    """The mapping in ``path``: YAML, or a Data Loader ``.sdl`` when it is named so.

    Raises:
        ConfigError: unreadable, not a regular file (a FIFO, a directory, a device), malformed,
            or (a ``.sdl``) an entry Data Loader would silently lose a value for, or an extract
            map.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"mapping {path}: cannot read: {exc.strerror or exc}") from exc
    return _read(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int, size: int) -> MappingFile:
    data = _bytes(path)
    try:
        if path.suffix.lower() == SDL_SUFFIX:
            return _read_sdl(path, data)
        return MappingFile(path, MappingSpec.decode(data, origin=str(path)))
    except MappingError as exc:
        raise ConfigError(str(exc)) from exc


def _bytes(path: Path) -> bytes:
    try:
        with open_regular(path) as stream:
            return stream.read()
    except InputFileError as exc:
        # "<path>: a FIFO (named pipe), not a file: give the path of a CSV file"
        why = str(exc).removeprefix(f"{path}: ").partition(": give")[0]
        raise ConfigError(f"mapping {path}: {why}: give the path of a mapping file") from exc
    except OSError as exc:
        raise ConfigError(f"mapping {path}: cannot read: {exc.strerror or exc}") from exc


def _read_sdl(path: Path, data: bytes) -> MappingFile:
    properties = decode_properties(data, path=str(path))
    direction = extract_evidence(properties)
    if direction.is_extract:
        raise ConfigError(f"mapping {path}: {direction.reason}")
    conversion = convert(interpret_load(properties))
    errors = [
        d
        for d in conversion.diagnostics
        if d.severity is Severity.ERROR and d.code not in APPLIED_AS_DATA_LOADER_DOES
    ]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            f"mapping {path.name}: line {first.line}: {first.message}{more}; "
            f"`hubload mapping convert {path.name}` writes the YAML to correct"
        )
    notes = tuple(
        f"{path.name}: line {d.line}: {d.message}"
        for d in conversion.diagnostics
        if d.severity is Severity.WARNING or d.code in APPLIED_AS_DATA_LOADER_DOES
    )
    return MappingFile(path, conversion.spec(), notes, properties)
