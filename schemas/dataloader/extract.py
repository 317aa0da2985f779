"""Extract maps (SOQLMapper): key = Salesforce field path, value = column, read that way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from schemas.dataloader.diagnostics import Code, Diagnostic
from schemas.dataloader.names import comma_tokens, java_trim
from schemas.dataloader.properties import (
    JAVA_DEFAULT_ENCODING,
    PropertiesFile,
    PropertyEntry,
    read_properties,
)
from schemas.dataloader.sdl import is_constant


class ExtractKind(StrEnum):
    """What one kept line of an extract map does."""

    FIELD = "field"
    """A field (or relationship path) written under a column."""
    CONSTANT = "constant"
    """A quoted constant written into every row under one or several columns."""
    UNMAPPED = "unmapped"
    """A field given no column (``Id=``)."""
    DEAD = "dead"
    """A line that never has an effect (``=X``, a key starting with a lone quote)."""


@dataclass(frozen=True)
class ExtractEntry:
    """One line of an extract map, interpreted."""

    kind: ExtractKind
    line: int
    key: str
    value: str
    field: str | None = None
    """The field path read (``Account.Name``), for ``FIELD`` and ``UNMAPPED``."""
    columns: tuple[str, ...] = ()
    constant: str | None = None


@dataclass(frozen=True)
class ExtractMap:
    """A ``.sdl`` read in the extract direction."""

    path: str
    entries: tuple[ExtractEntry, ...]
    diagnostics: tuple[Diagnostic, ...]

    def fields_read(self) -> tuple[tuple[str, int], ...]:
        """The field paths the extract maps to columns, with their lines."""
        return tuple(
            (e.field, e.line)
            for e in self.entries
            if e.kind is ExtractKind.FIELD and e.field is not None
        )

    def column_of(self) -> dict[str, str]:
        """Each mapped field path (lower case) and the column it is written under."""
        return {
            e.field.lower(): e.columns[0]
            for e in self.entries
            if e.kind is ExtractKind.FIELD and e.field is not None
        }


def read_extract_map(path: Path, *, encoding: str = JAVA_DEFAULT_ENCODING) -> ExtractMap:
    """Read a ``.sdl`` file as an extract map.

    Raises:
        NotTextError: binary, unreadable, or not text in ``encoding``.
        PropertiesSyntaxError: a malformed ``\\uXXXX`` escape.
    """
    return interpret_extract(read_properties(path, encoding=encoding))


def interpret_extract(properties: PropertiesFile) -> ExtractMap:
    """Give each entry of a parsed ``.sdl`` its extract meaning (keys collapse ignoring case,
    the later winning, as SOQLMapper's case-insensitive map does)."""
    kept: dict[str, ExtractEntry] = {}
    notes: list[Diagnostic] = []
    for raw in properties.written:
        entry = _interpret(raw)
        group = f"constant:{raw.key}" if entry.kind is ExtractKind.CONSTANT else raw.key.lower()
        replaced = kept.pop(group, None)
        if replaced is not None:
            code = Code.KEY_REPEATED if replaced.value == raw.value else Code.KEY_REPLACED
            notes.append(
                Diagnostic(
                    properties.path,
                    replaced.line,
                    code,
                    f"{replaced.key}={replaced.value} is replaced by {raw.key}={raw.value} "
                    f"(line {raw.line})",
                )
            )
        kept[group] = entry
    for entry in kept.values():
        note = _note(entry)
        if note is not None:
            notes.append(Diagnostic(properties.path, entry.line, *note))
    notes.sort(key=lambda d: d.line)
    return ExtractMap(properties.path, tuple(kept.values()), tuple(notes))


def _interpret(raw: PropertyEntry) -> ExtractEntry:
    key, value, line = raw.key, raw.value, raw.line
    if is_constant(key):
        columns, _ = comma_tokens(value)
        return ExtractEntry(ExtractKind.CONSTANT, line, key, value, None, tuple(columns), key[1:-1])
    field = java_trim(key)
    if not field or key.startswith('"'):
        return ExtractEntry(ExtractKind.DEAD, line, key, value)
    column = java_trim(value)
    if not column:
        return ExtractEntry(ExtractKind.UNMAPPED, line, key, value, field)
    return ExtractEntry(ExtractKind.FIELD, line, key, value, field, (column,))


def _note(entry: ExtractEntry) -> tuple[Code, str] | None:
    if entry.kind is ExtractKind.DEAD:
        if entry.key.startswith('"'):
            message = f"key {entry.key!r} is not a constant (a space ends it)"
            return Code.UNTERMINATED_CONSTANT, message
        return Code.EMPTY_KEY, f"={entry.value}: a column fed by no field"
    if entry.kind is ExtractKind.UNMAPPED:
        return Code.UNMAPPED_COLUMN, f"{entry.key}=: field {entry.field} given no column"
    if entry.kind is ExtractKind.CONSTANT and not entry.columns:
        return Code.CONSTANT_TO_NO_FIELD, f"constant {entry.key} is written to no column"
    return None
