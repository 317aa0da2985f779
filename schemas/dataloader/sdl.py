"""Layer 2: what a ``.sdl`` entry means for a load (Data Loader's LoadMapper), as a typed model.

Key = source column(s) or a quoted constant, value = the target field(s). Data Loader's maps are
case-insensitive: ``Name`` and ``NAME`` collapse (the later wins, at its place), and so do two
sources of one field; constants are applied last, so a constant beats a column. Every event
Data Loader handles silently is a ``Diagnostic`` (see ``schemas.dataloader.diagnostics``).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from schemas.dataloader.diagnostics import Code, Diagnostic
from schemas.dataloader.names import (
    Destination,
    Lookup,
    LookupFormatError,
    comma_tokens,
    java_trim,
    parse_destination,
)
from schemas.dataloader.properties import (
    JAVA_DEFAULT_ENCODING,
    PropertiesFile,
    PropertyEntry,
    read_properties,
)


class EntryKind(StrEnum):
    """What one kept line of a load map does."""

    COLUMN = "column"
    """One column to one or several fields."""
    COMPOSITE = "composite"
    """Several columns (``ColA,ColB``), joined with ``", "``, to one or several fields."""
    CONSTANT = "constant"
    """A quoted constant (``"Aerospace"=Industry``) to zero or more fields."""
    UNMAPPED = "unmapped"
    """A column deliberately not loaded (``CREATEDBYID=``)."""
    DEAD = "dead"
    """A line Data Loader stores but that never sets anything (``=X``, ``" " = X``)."""


@dataclass(frozen=True)
class LoadEntry:
    """One line of a load map, interpreted."""

    kind: EntryKind
    line: int
    key: str
    value: str
    columns: tuple[str, ...] = ()
    constant: str | None = None
    destinations: tuple[Destination, ...] = ()

    @property
    def source(self) -> str:
        """How messages name the source: ``column X``, ``columns X, Y`` or ``constant "v"``."""
        if self.constant is not None:
            return f'constant "{self.constant}"'
        if len(self.columns) > 1:
            return f"columns {', '.join(self.columns)}"
        return f"column {self.columns[0]}" if self.columns else f"key {self.key!r}"


@dataclass(frozen=True)
class Assignment:
    """One field a load map sets, from the entry that wins it."""

    destination: Destination
    entry: LoadEntry

    @property
    def field(self) -> str:
        """The upload column: the field, or ``Relationship.Field`` for a lookup."""
        return self.destination.field

    @property
    def line(self) -> int:
        """The line of the winning entry."""
        return self.entry.line


@dataclass(frozen=True)
class LoadMap:
    """A ``.sdl`` read in the load direction."""

    path: str
    entries: tuple[LoadEntry, ...]
    """The kept entries, in Data Loader's order (a replaced key's winner at its own place)."""
    assignments: tuple[Assignment, ...]
    """Each field set, by its winning entry, in order of the field's first mention."""
    diagnostics: tuple[Diagnostic, ...]

    def columns_read(self) -> tuple[tuple[str, int], ...]:
        """The columns the load reads, each with the line of its first use."""
        seen: dict[str, int] = {}
        for assignment in self.assignments:
            for column in assignment.entry.columns:
                seen.setdefault(column, assignment.line)
        return tuple(seen.items())

    def fields_written(self) -> tuple[tuple[str, int], ...]:
        """The object's own fields the load sets (lookups apart), with their lines."""
        return tuple((a.field, a.line) for a in self.assignments if a.destination.lookup is None)

    def lookups(self) -> tuple[tuple[Lookup, int], ...]:
        """The parent lookups the load names, with their lines."""
        found = []
        for assignment in self.assignments:
            if assignment.destination.lookup is not None:
                found.append((assignment.destination.lookup, assignment.line))
        return tuple(found)

    def composites(self) -> tuple[Assignment, ...]:
        """The fields set from several joined columns (to be checked as text fields)."""
        return tuple(a for a in self.assignments if a.entry.kind is EntryKind.COMPOSITE)

    def ignored_columns(self) -> tuple[str, ...]:
        """Columns listed as deliberately unmapped, and not read by another entry."""
        read = {column.lower() for column, _ in self.columns_read()}
        names = [c for e in self.entries if e.kind is EntryKind.UNMAPPED for c in e.columns]
        return tuple(dict.fromkeys(c for c in names if c.lower() not in read))

    def columns_missing_from(self, header: list[str]) -> tuple[tuple[str, int], ...]:
        """The columns read that the CSV header lacks (compared ignoring case, as Data Loader
        does, which drops such entries silently)."""
        present = {column.lower() for column in header}
        return tuple((c, line) for c, line in self.columns_read() if c.lower() not in present)


def read_load_map(path: Path, *, encoding: str = JAVA_DEFAULT_ENCODING) -> LoadMap:
    """Read a ``.sdl`` file as a load map.

    Raises:
        NotTextError: binary, unreadable, or not text in ``encoding``.
        PropertiesSyntaxError: a malformed ``\\uXXXX`` escape.
    """
    return interpret_load(read_properties(path, encoding=encoding))


def interpret_load(properties: PropertiesFile) -> LoadMap:
    """Give each entry of a parsed ``.sdl`` its load meaning, with diagnostics."""
    path = properties.path
    notes: list[Diagnostic] = list(suspected_mojibake(properties))
    written = [(_interpret(entry, path), entry) for entry in properties.written]
    kept: dict[str, tuple[LoadEntry, list[Diagnostic]]] = {}
    for (entry, entry_notes), raw in written:
        group = _group_key(entry, raw)
        replaced = kept.pop(group, None)
        if replaced is not None:
            notes.append(_replacement(replaced[0], entry, path))
        kept[group] = (entry, entry_notes)
    entries = tuple(entry for entry, _ in kept.values())
    for _, entry_notes in kept.values():
        notes.extend(entry_notes)
    assignments = _assign(entries, path, notes)
    notes.sort(key=lambda d: d.line)
    return LoadMap(path, entries, assignments, tuple(notes))


def is_constant(key: str) -> bool:
    """Data Loader's ``isConstant``: two characters or more, quoted at both ends."""
    return len(key) >= 2 and key[0] == '"' and key[-1] == '"'


def suspected_mojibake(properties: PropertiesFile) -> list[Diagnostic]:
    """Entries read as ISO-8859-1 whose characters are really UTF-8 bytes (``Ã©`` for ``é``),
    a byte order mark included."""
    if codecs.lookup(properties.encoding).name != codecs.lookup(JAVA_DEFAULT_ENCODING).name:
        return []
    found = []
    for entry in properties.written:
        for text in (entry.key, entry.value):
            meant = _as_utf8(text)
            if meant is None:
                continue
            what = (
                "starts with a UTF-8 byte order mark"
                if meant.startswith("\ufeff")
                else (f"reads {text!r}, which is UTF-8 for {meant!r}")
            )
            found.append(
                Diagnostic(
                    properties.path,
                    entry.line,
                    Code.MOJIBAKE_SUSPECTED,
                    f"{what}: Data Loader reads .sdl files as ISO-8859-1 (write non-ASCII as "
                    "\\uXXXX, or read the file as UTF-8 if that is what was meant)",
                )
            )
            break
    return found


def _as_utf8(text: str) -> str | None:
    if all(char < "\x80" for char in text) or any(char > "\xff" for char in text):
        return None
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return None


def _group_key(entry: LoadEntry, raw: PropertyEntry) -> str:
    # Constants live in Data Loader's constants map, keyed by field: only an exact repeat of
    # the key (Properties) replaces one. Other keys collapse ignoring case (Spring's
    # LinkedCaseInsensitiveMap).
    return f"constant:{raw.key}" if entry.kind is EntryKind.CONSTANT else raw.key.lower()


def _interpret(raw: PropertyEntry, path: str) -> tuple[LoadEntry, list[Diagnostic]]:
    key, value, line = raw.key, raw.value, raw.line
    notes: list[Diagnostic] = []

    def note(code: Code, message: str) -> None:
        notes.append(Diagnostic(path, line, code, message))

    def dead(code: Code, message: str) -> tuple[LoadEntry, list[Diagnostic]]:
        note(code, message)
        return LoadEntry(EntryKind.DEAD, line, key, value), notes

    if is_constant(key):
        constant = key[1:-1]
        destinations = _destinations(value, note)
        if not destinations:
            note(Code.CONSTANT_TO_NO_FIELD, f"constant {key} is assigned to no field")
        elif constant == "":
            fields = ", ".join(d.text for d in destinations)
            note(Code.EMPTY_CONSTANT, f'""={value}: sets {fields} to the empty string')
        kind = EntryKind.CONSTANT
        return LoadEntry(kind, line, key, value, (), constant, destinations), notes
    if key.startswith('"'):
        return dead(
            Code.UNTERMINATED_CONSTANT,
            f"key {key!r} (value {value!r}) is not a constant: a space ends a key, so Data "
            "Loader reads a column that never exists and sets nothing; escape spaces inside a "
            'constant ("Some\\ Value")',
        )
    columns, _ = comma_tokens(key)
    if not columns:
        return dead(
            Code.EMPTY_KEY,
            f"={value}: a mapping from a column with no name, which Data Loader never sets",
        )
    if "," in key and len(columns) == 1:
        return dead(
            Code.STRAY_COMMA_KEY,
            f"key {key!r} (value {value!r}) has a stray comma: Data Loader never reads column "
            f"{columns[0]} (a space ends a key: write ColA,ColB without one)",
        )
    if "," not in key:
        columns = [java_trim(key)]
    destinations = _destinations(value, note)
    if not destinations:
        named = columns[0] if len(columns) == 1 else key
        note(Code.UNMAPPED_COLUMN, f"{key}=: column {named} deliberately not loaded")
        return LoadEntry(EntryKind.UNMAPPED, line, key, value, tuple(columns)), notes
    kind = EntryKind.COMPOSITE if len(columns) > 1 else EntryKind.COLUMN
    if kind is EntryKind.COMPOSITE:
        note(
            Code.COMPOSITE_SOURCE,
            f'{key}={value}: columns {", ".join(columns)} joined with ", " (Data Loader '
            "uses only the first if a field is not text)",
        )
    return LoadEntry(kind, line, key, value, tuple(columns), None, destinations), notes


def _destinations(value: str, note: Callable[[Code, str], None]) -> tuple[Destination, ...]:
    tokens, blank = comma_tokens(value)
    if blank:
        note(Code.EMPTY_FIELD_TOKEN, f"field list {value!r} has an empty field name (dropped)")
    found = []
    for token in tokens:
        try:
            destination = parse_destination(token)
        except LookupFormatError as exc:
            note(Code.MALFORMED_LOOKUP, f"{exc}; dropped")
            continue
        if destination.lookup is not None:
            lookup = destination.lookup
            parent = f" (object {lookup.parent_object})" if lookup.parent_object else ""
            note(
                Code.LOOKUP,
                f"{token}: the parent{parent} through {lookup.relationship}, found by its "
                f"{lookup.field} ({lookup.syntax} form); upload header {lookup.header}",
            )
        found.append(destination)
    return tuple(found)


def _replacement(replaced: LoadEntry, winner: LoadEntry, path: str) -> Diagnostic:
    lost = {d.field.lower() for d in replaced.destinations} - {
        d.field.lower() for d in winner.destinations
    }
    same_source = (replaced.constant, [c.lower() for c in replaced.columns]) == (
        winner.constant,
        [c.lower() for c in winner.columns],
    )
    harmless = replaced.kind in {EntryKind.DEAD, EntryKind.UNMAPPED} or (not lost and same_source)
    code = Code.KEY_REPEATED if harmless else Code.KEY_REPLACED
    what = f"{replaced.key}={replaced.value}"
    by = f"{winner.key}={winner.value} (line {winner.line})"
    consequence = "" if harmless else ": Data Loader keeps only the later line"
    return Diagnostic(path, replaced.line, code, f"{what} is replaced by {by}{consequence}")


def _assign(
    entries: tuple[LoadEntry, ...], path: str, notes: list[Diagnostic]
) -> tuple[Assignment, ...]:
    by_target: dict[str, list[Assignment]] = {}
    for entry in entries:
        for destination in entry.destinations:
            # Lookups through one polymorphic relationship to different parents (Parent:Account-
            # Oracle_Id__c, Parent:Contact-Email) are distinct columns, each row filling one.
            target = destination.field.lower()
            by_target.setdefault(target, []).append(Assignment(destination, entry))
    chosen: list[Assignment] = []
    for candidates in by_target.values():
        constants = [a for a in candidates if a.entry.kind is EntryKind.CONSTANT]
        winner = (constants or candidates)[-1]
        chosen.append(winner)
        for loser in candidates:
            if loser is winner:
                continue
            code = (
                Code.CONSTANT_OVERRIDES_COLUMN
                if winner.entry.kind is EntryKind.CONSTANT
                and loser.entry.kind is not EntryKind.CONSTANT
                else Code.FIELD_SET_TWICE
            )
            notes.append(Diagnostic(path, loser.line, code, _lost(loser, winner, code)))
    return tuple(chosen)


def _lost(loser: Assignment, winner: Assignment, code: Code) -> str:
    head = f"{loser.entry.key}={loser.entry.value}: {loser.field} from {loser.entry.source}"
    if code is Code.CONSTANT_OVERRIDES_COLUMN:
        return (
            f"{head} is overridden by {winner.entry.source} (line {winner.line}): Data Loader "
            "applies constants last, so the column's values are never loaded"
        )
    if loser.entry.kind is EntryKind.CONSTANT:
        rule = "the later constant wins"
    else:
        rule = "Data Loader keeps the column further right in the CSV, hubload the later line"
    return f"{head} is also set by {winner.entry.source} (line {winner.line}): {rule}"
