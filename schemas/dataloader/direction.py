"""Which way a ``.sdl`` reads: the evidence that it is an extract map (field = column), for
refusing it in a load with a clear reason; nothing in the file says which way it reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PureWindowsPath

from schemas.dataloader.names import comma_tokens, is_field_name, is_field_path, java_trim
from schemas.dataloader.properties import PropertiesFile, PropertyEntry

# Words that name an extract in a file name; only a hint (a name is chosen, not read).
_EXTRACT_WORDS = ("extract", "export", "soql", "query")


class EvidenceKind(StrEnum):
    """Why a map reads field = column (an extract), not column = field (a load)."""

    RELATIONSHIP_PATH_KEY = "relationship-path-key"
    """``Account.Name = Account_Name``: a SOQL relationship path on the left."""
    COLUMN_NAME_VALUE = "column-name-value"
    """``Id=account_id``: a field on the left, a name no Salesforce field can have on the right."""
    UPPERCASED_COLUMNS = "uppercased-columns"
    """``SLA__c=SLA__C`` on most lines: fields to the upper-case columns Data Loader's extract
    writes (a load map generated from an extract's file has them the other way round)."""
    VALUES_ARE_COLUMNS = "values-are-columns"
    """Against a CSV header: the values are its columns, the keys are not."""
    KEYS_ARE_FIELDS = "keys-are-fields"
    """Against the object's fields: the keys are fields, the values are not."""
    FILE_NAME = "file-name"
    """The file's name says extract, export, SOQL or query: a hint only."""


class Strength(StrEnum):
    """How far one piece of evidence goes."""

    STRONG = "strong"
    HINT = "hint"


@dataclass(frozen=True)
class Evidence:
    """One reason to read a map as an extract map."""

    kind: EvidenceKind
    strength: Strength
    line: int | None
    message: str


@dataclass(frozen=True)
class Direction:
    """The evidence that a map is an extract map, and whether its direction matters."""

    path: str
    evidence: tuple[Evidence, ...]
    symmetric: bool
    """Every line maps a name to itself (``Name=Name``): both directions read the same."""

    @property
    def is_extract(self) -> bool:
        """Strong evidence: refuse it in a load."""
        return any(e.strength is Strength.STRONG for e in self.evidence)

    @property
    def likely_extract(self) -> bool:
        """Any evidence, hints included."""
        return bool(self.evidence)

    @property
    def reason(self) -> str:
        """One line for refusing the map in a load (empty without evidence)."""
        if not self.evidence:
            return ""
        first = next((e for e in self.evidence if e.strength is Strength.STRONG), self.evidence[0])
        where = f"line {first.line}: " if first.line is not None else ""
        name = PureWindowsPath(self.path).name
        return (
            f"{name} reads like a Data Loader extract map (Salesforce field = column), not a "
            f"load map (column = field): {where}{first.message}"
        )


def extract_evidence(
    properties: PropertiesFile,
    *,
    header: Sequence[str] | None = None,
    fields: Collection[str] | None = None,
) -> Direction:
    """Weigh the evidence that a parsed ``.sdl`` is an extract map: from the map alone, and
    against a CSV ``header`` and the object's ``fields`` when given (compared ignoring case)."""
    pairs = [
        (entry, java_trim(entry.key), java_trim(entry.value))
        for entry in properties.entries
        if entry.key and not entry.key.startswith('"') and java_trim(entry.value)
    ]
    found: list[Evidence] = []
    paths = [(e, k) for e, k, v in pairs if "." in k and is_field_path(k) and "." not in v]
    if paths:
        entry, key = paths[0]
        found.append(
            Evidence(
                EvidenceKind.RELATIONSHIP_PATH_KEY,
                Strength.STRONG,
                entry.line,
                f"{key} is a relationship path, which only an extract reads"
                + (f" ({len(paths)} such lines)" if len(paths) > 1 else ""),
            )
        )
    not_fields = [(e, k, v) for e, k, v in pairs if is_field_path(k) and _has_non_field(v)]
    if not_fields:
        entry, key, value = not_fields[0]
        found.append(
            Evidence(
                EvidenceKind.COLUMN_NAME_VALUE,
                Strength.STRONG,
                entry.line,
                f"{key}={value}: {value!r} cannot be a Salesforce field, so it is a column",
            )
        )
    upper = [(e, k, v) for e, k, v in pairs if v == k.upper() != k and is_field_path(k)]
    if len(upper) >= 2 and 2 * len(upper) >= len(pairs):
        entry, key, value = upper[0]
        found.append(
            Evidence(
                EvidenceKind.UPPERCASED_COLUMNS,
                Strength.STRONG,
                entry.line,
                f"{len(upper)} of {len(pairs)} lines map a field to its upper-case name "
                f"({key}={value}), the columns a Data Loader extract writes",
            )
        )
    if header is not None:
        found += _against(pairs, {c.lower() for c in header}, EvidenceKind.VALUES_ARE_COLUMNS)
    if fields is not None:
        found += _against(pairs, {f.lower() for f in fields}, EvidenceKind.KEYS_ARE_FIELDS)
    stem = PureWindowsPath(properties.path).stem.lower()
    word = next((w for w in _EXTRACT_WORDS if w in stem), None)
    if word is not None:
        found.append(
            Evidence(EvidenceKind.FILE_NAME, Strength.HINT, None, f"its name says {word!r}")
        )
    symmetric = bool(pairs) and all(k.lower() == v.lower() for _, k, v in pairs)
    return Direction(properties.path, tuple(found), symmetric)


def _has_non_field(value: str) -> bool:
    tokens, _ = comma_tokens(value)
    # A token with ':' is a load's lookup (Owner:username); its check belongs to the load.
    return any(":" not in token and not is_field_name(token) for token in tokens)


def _against(
    pairs: list[tuple[PropertyEntry, str, str]], names: set[str], kind: EvidenceKind
) -> list[Evidence]:
    """Keys and values checked against a set of names: the header's columns (which a load's
    keys are) or the object's fields (which a load's values are)."""
    keys_in = sum(1 for _, key, _ in pairs if key.lower() in names)
    values_in = sum(
        1 for _, _, value in pairs if all(t.lower() in names for t in comma_tokens(value)[0])
    )
    # A load has its keys among the columns and its values among the fields: the reverse is
    # the evidence, on at least half the lines.
    inside, outside = (
        (values_in, keys_in)
        if kind is EvidenceKind.VALUES_ARE_COLUMNS
        else (
            keys_in,
            values_in,
        )
    )
    if not pairs or inside <= outside or 2 * inside < len(pairs):
        return []
    what = (
        "values are the CSV's columns"
        if kind is EvidenceKind.VALUES_ARE_COLUMNS
        else ("keys are the object's fields")
    )
    return [
        Evidence(
            kind,
            Strength.STRONG,
            None,
            f"{inside} of {len(pairs)} {what}, against {outside} the other way round",
        )
    ]
