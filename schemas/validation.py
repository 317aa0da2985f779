"""The pandera schema of a mapped chunk, built from the target's metadata and the mapping's checks,
and the split of a chunk into valid rows and rejected rows, each reason in words.

A reason has a short, stable ``key`` to count by (``C_Title -> Title: max_length(128)``) and a
``text`` for people (``C_Title -> Title: longer than 128 characters``; the source column is
named only when it differs from the field). A value of only white space counts as missing for
every check (the target trims text values), and so does ``#N/A`` (the Bulk API's null: it
clears the field): a required field holding either is rejected as required.

The load's ``ValueOptions`` shape the date and date-time checks: their values have been read
by the date order and time zone (``schemas.values``), and a value left unread is rejected in
words that name the order expected (``CloseDate: not a date in the european order DD/MM/YYYY
('13/31/2024')``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from schemas.mapping import MappingError, ResolvedMapping
from schemas.patterns import check_pattern
from schemas.rules import CheckKind, Rule, extra_check, metadata_checks
from schemas.values import NULL_MARKER

_MAX_SHOWN = 60
_NOT_NULLABLE = "not_nullable"  # pandera's name for a missing value in a required column


class ChunkValidationError(ValueError):
    """A failure that cannot be tied to rows (a missing column, a check that crashed)."""


_REQUIRED = Rule(CheckKind.REQUIRED, "required", "required, but empty")
_WHITE_SPACE = "required, but only white space ({value})"
_CLEARED = "required, but #N/A would clear it"


@dataclass(frozen=True)
class Rejection:
    """One failed check of one row: the source column, target field, check and value."""

    column: str | None
    field: str
    check: str
    value: object
    words: str = "failed the check {check} ({value})"

    @property
    def key(self) -> str:
        """The reason without its value, to count reasons: ``C_Title -> Title: max_length(128)``."""
        return f"{self.source} -> {self.field}: {self.check}"

    @property
    def label(self) -> str:
        """The reason in words without its value, to count and show reasons by:
        ``Email: not a valid email address``."""
        words = self.words.replace(" ({value})", "").replace(": {value}", "")
        return f"{self._where}: {words.replace('{value}', '...').format(check=self.check)}"

    @property
    def _where(self) -> str:
        return self.field if self.column == self.field else f"{self.source} -> {self.field}"

    @property
    def source(self) -> str:
        """The source column, or ``constant``."""
        return self.column if self.column is not None else "constant"

    @property
    def text(self) -> str:
        """The reason in words, with the offending value when it helps:
        ``Email: not a valid email address ('abc')``."""
        return f"{self._where}: {self.words.format(value=_shown(self.value), check=self.check)}"


def _shown(value: object) -> str:
    text = str(value)
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "..."
    return repr(text)


@dataclass
class SplitResult:
    """Which rows of a chunk passed, and why each other row was rejected."""

    valid: np.ndarray
    reasons: dict[int, list[Rejection]] = field(default_factory=dict)


class ChunkValidator:
    """Validates mapped chunks of one load; keeps cross-chunk state (``unique`` checks).

    Raises (on creation):
        MappingError: a ``pattern`` check that RE2 cannot run (a look-around, a backreference).
    """

    def __init__(self, mapping: ResolvedMapping) -> None:
        self._sources = {m.field.name: m for m in mapping.fields}
        self._rules: dict[tuple[str, str], Rule] = {}
        columns = {}
        for fmap in mapping.fields:
            name = fmap.field.name
            extras = mapping.checks.get(name, ())
            for extra in extras:
                if extra.pattern is not None:
                    try:
                        check_pattern(extra.pattern)
                    except ValueError as exc:
                        raise MappingError(f"{name}: {exc}") from exc
            rules = metadata_checks(fmap.field, mapping.options)
            rules += [c for c in map(extra_check, extras) if c is not None]
            self._rules.update({(name, rule.name): rule for rule, _ in rules})
            checks = [pa.Check(fn, error=rule.name) for rule, fn in rules]
            required = fmap.field.required or any(e.required for e in extras)
            # No dtype check: chunks are built as text; pandera's would cost a pass a column.
            columns[name] = pa.Column(None, checks=checks, nullable=not required)
        self.schema = pa.DataFrameSchema(columns, strict=True, ordered=False)

    def split(self, frame: pd.DataFrame) -> SplitResult:
        """Validate ``frame`` (a RangeIndex of chunk positions) and split it.

        Raises:
            ChunkValidationError: a failure not tied to a row; the chunk cannot be split safely.
        """
        valid = np.ones(len(frame), dtype=bool)
        try:
            self.schema.validate(_blanks_missing(frame), lazy=True)
        except SchemaErrors as exc:
            return self._reasons(exc.failure_cases, frame, valid)
        return SplitResult(valid=valid)

    def _reasons(self, cases: pd.DataFrame, frame: pd.DataFrame, valid: np.ndarray) -> SplitResult:
        unplaced = cases[cases["index"].isna()]
        if len(unplaced):
            first = unplaced.iloc[0]
            raise ChunkValidationError(
                f"validation failed for the whole chunk: {first['column']}: {first['check']} "
                f"({first['failure_case']})"
            )
        reasons: dict[int, list[Rejection]] = defaultdict(list)
        blanks = _blank_values(cases, frame)
        for column, check, value, index in cases[
            ["column", "check", "failure_case", "index"]
        ].itertuples(index=False):
            name, position = str(column), int(index)
            blank = blanks.get((name, position))
            reasons[position].append(self._rejection(name, str(check), value, blank))
        valid[list(reasons)] = False
        return SplitResult(valid=valid, reasons=dict(reasons))

    def _rejection(self, name: str, check: str, value: object, blank: str | None) -> Rejection:
        fmap = self._sources.get(name)
        source = fmap.column if fmap is not None else None
        if check == _NOT_NULLABLE:
            if blank == NULL_MARKER:
                return Rejection(source, name, _REQUIRED.name, blank, _CLEARED)
            if blank:
                return Rejection(source, name, _REQUIRED.name, blank, _WHITE_SPACE)
            return Rejection(source, name, _REQUIRED.name, value, _REQUIRED.words)
        rule = self._rules.get((name, check))
        if rule is None:
            return Rejection(source, name, check, value)
        return Rejection(source, name, rule.name, value, rule.words)


def _blank_values(cases: pd.DataFrame, frame: pd.DataFrame) -> dict[tuple[str, int], str]:
    """The values (white space, ``#N/A``) behind the missing values of required columns, by
    (column, position): taken in one go a column, since one cell at a time is slow in pandas."""
    found: dict[tuple[str, int], str] = {}
    missing = cases[cases["check"] == _NOT_NULLABLE]
    for name, group in missing.groupby("column"):
        if name not in frame:
            continue
        positions = group["index"].astype(int).tolist()
        values = frame[name].iloc[positions].tolist()
        found.update(
            ((str(name), p), v)
            for p, v in zip(positions, values, strict=True)
            if isinstance(v, str)
        )
    return found


def _blanks_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the values of only white space (``str.isspace``, which Arrow's
    ``utf8_is_space`` matches) and ``#N/A`` as missing; the same frame when there are none."""
    masked = {}
    for name in frame.columns:
        column = frame[name]
        values = pyarrow.array(column.array)
        blank = pc.or_(pc.utf8_is_space(values), pc.equal(values, NULL_MARKER)).fill_null(False)
        if pc.any(blank).as_py():
            masked[name] = column.mask(np.asarray(blank))
    return frame.assign(**masked) if masked else frame
