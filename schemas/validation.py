"""The pandera schema of a mapped chunk, built from the target's metadata and the mapping's checks,
and the split of a chunk into valid rows and rejected rows, each reason in words.

A reason has a short, stable ``key`` to count by (``C_Title -> Title: max_length(128)``) and a
``text`` for people (``C_Title -> Title: longer than 128 characters``; the source column is
named only when it differs from the field). A value of only white space counts as missing for
every check (the target trims text values): a required field holding one is rejected as
required.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from schemas import catalog
from schemas.catalog import FieldSpec
from schemas.mapping import ExtraCheck, MappingError, ResolvedMapping
from schemas.patterns import check_pattern, fullmatch

EMAIL = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
# Digit groups split by space, dot or dash; a group may sit in balanced parentheses; an extension.
PHONE = r"\+?(?:\(\d+\)|\d+)(?:[ .-]?(?:\(\d+\)|\d+))*(?:\s*(?:x|ext\.?)\s*\d+)?"
PHONE_DIGITS = r"(?:\D*\d){7,20}\D*"
URL = (
    r"(?:https?://)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+(?::\d{1,5})?(?:[/?#]\S*)?"
)
DATE = r"\d{4}-\d{2}-\d{2}"
DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})"
INTEGER = r"[+-]?\d{1,18}"
NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
BOOLEAN = r"(?i:true|false|1|0)"

_MAX_SHOWN = 60
_MAX_LISTED = 5
_NOT_NULLABLE = "not_nullable"  # pandera's name for a missing value in a required column


class ChunkValidationError(ValueError):
    """A failure that cannot be tied to rows (a missing column, a check that crashed)."""


class CheckKind(StrEnum):
    """What a check asks of a value."""

    REQUIRED = "required"
    MAX_LENGTH = "max_length"
    MIN_LENGTH = "min_length"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    DATE = "date"
    DATETIME = "datetime"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    PICKLIST = "picklist"
    PATTERN = "pattern"
    ONE_OF = "one_of"
    UNIQUE = "unique"


@dataclass(frozen=True)
class Rule:
    """One check of one field: its kind, its name in reason keys, and what a failure says
    (``{value}`` stands for the value, quoted)."""

    kind: CheckKind
    name: str
    words: str


_REQUIRED = Rule(CheckKind.REQUIRED, "required", "required, but empty")
_WHITE_SPACE = "required, but only white space ({value})"


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
    def source(self) -> str:
        """The source column, or ``constant``."""
        return self.column if self.column is not None else "constant"

    @property
    def text(self) -> str:
        """The reason in words, with the offending value when it helps:
        ``Email: not a valid email address ('abc')``."""
        where = self.field if self.column == self.field else f"{self.source} -> {self.field}"
        return f"{where}: {self.words.format(value=_shown(self.value), check=self.check)}"


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


def _matches(pattern: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: fullmatch(s, pattern)


def _real_date(s: pd.Series) -> pd.Series:
    # Arrow parses ~20x faster than to_datetime but rolls 2020-02-30 over to March: a real date
    # keeps its day of the month.
    shaped = fullmatch(s, DATE)
    values = pyarrow.array(s.where(shaped, "2000-01-01").array)
    parsed = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
    day = pc.cast(pc.utf8_slice_codeunits(values, 8, 10), pyarrow.int64())
    same = pc.equal(pc.day(parsed), day).fill_null(False)
    return shaped & pd.Series(same, index=s.index, dtype=bool)


def _phone(s: pd.Series) -> pd.Series:
    return fullmatch(s, PHONE) & fullmatch(s, PHONE_DIGITS)


class _Unique:
    """A check that stays true across chunks: a value seen in an earlier row fails."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def __call__(self, s: pd.Series) -> pd.Series:
        seen = self._seen
        out = []
        for value in s.tolist():
            key = hash(value)
            out.append(key not in seen)
            seen.add(key)
        return pd.Series(out, index=s.index, dtype=bool)


def _listed(values: Iterable[str]) -> str:
    shown = list(values)
    more = len(shown) - _MAX_LISTED
    text = ", ".join(shown[:_MAX_LISTED])
    return f"{text} and {more} more" if more > 0 else text


_TYPED: list[tuple[frozenset[str], Rule, Callable[[pd.Series], pd.Series]]] = [
    (
        catalog.EMAIL_TYPES,
        Rule(CheckKind.EMAIL, "email", "not a valid email address ({value})"),
        _matches(EMAIL),
    ),
    (
        catalog.PHONE_TYPES,
        Rule(CheckKind.PHONE, "phone", "not a valid phone number ({value})"),
        _phone,
    ),
    (
        catalog.URL_TYPES,
        Rule(CheckKind.URL, "url", "not a valid web address ({value})"),
        _matches(URL),
    ),
    (
        catalog.DATE_TYPES,
        Rule(CheckKind.DATE, "date(yyyy-MM-dd)", "not a date (yyyy-MM-dd): {value}"),
        _real_date,
    ),
    (
        catalog.DATETIME_TYPES,
        Rule(
            CheckKind.DATETIME,
            "datetime(ISO 8601)",
            "not a date and time (ISO 8601, such as 2024-01-31T09:30:00Z): {value}",
        ),
        _matches(DATETIME),
    ),
    (
        catalog.INTEGER_TYPES,
        Rule(CheckKind.INTEGER, "integer", "not a whole number ({value})"),
        _matches(INTEGER),
    ),
    (
        catalog.NUMBER_TYPES,
        Rule(CheckKind.NUMBER, "number", "not a number ({value})"),
        _matches(NUMBER),
    ),
    (
        catalog.BOOLEAN_TYPES,
        Rule(CheckKind.BOOLEAN, "boolean", "not true or false ({value})"),
        _matches(BOOLEAN),
    ),
]


def _metadata_checks(spec: FieldSpec) -> list[tuple[Rule, Callable[[pd.Series], pd.Series]]]:
    native = spec.native_type
    checks: list[tuple[Rule, Callable[[pd.Series], pd.Series]]] = []
    if spec.length is not None:
        length = spec.length
        rule = Rule(
            CheckKind.MAX_LENGTH, f"max_length({length})", f"longer than {length} characters"
        )
        checks.append((rule, lambda s: s.str.len() <= length))
    checks += [(rule, fn) for types, rule, fn in _TYPED if native in types]
    if native in catalog.PICKLIST_TYPES and spec.restricted_picklist and spec.picklist:
        allowed = list(spec.picklist)
        words = f"not one of the picklist's values ({_listed(allowed)}): {{value}}"
        checks.append((Rule(CheckKind.PICKLIST, "picklist", words), lambda s: s.isin(allowed)))
    return checks


def _extra_check(extra: ExtraCheck) -> tuple[Rule, Callable[[pd.Series], pd.Series]] | None:
    label = extra.label
    if extra.pattern is not None:
        pattern = extra.pattern
        named = extra.name or f"the pattern {pattern}"
        words = f"does not match {named} ({{value}})"
        return Rule(CheckKind.PATTERN, label, words), _matches(pattern)
    if extra.one_of is not None:
        allowed = list(extra.one_of)
        words = f"not one of {_listed(allowed)} ({{value}})"
        return Rule(CheckKind.ONE_OF, label, words), lambda s: s.isin(allowed)
    if extra.min_length is not None:
        low = extra.min_length
        words = f"shorter than {low} characters ({{value}})"
        return Rule(CheckKind.MIN_LENGTH, label, words), lambda s: s.str.len() >= low
    if extra.max_length is not None:
        high = extra.max_length
        words = f"longer than {high} characters"
        return Rule(CheckKind.MAX_LENGTH, label, words), lambda s: s.str.len() <= high
    if extra.unique:
        words = "not unique: an earlier row has the same value ({value})"
        return Rule(CheckKind.UNIQUE, label, words), _Unique()
    return None  # required: expressed as nullable=False


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
            rules = _metadata_checks(fmap.field)
            rules += [c for c in map(_extra_check, extras) if c is not None]
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
            if blank:
                return Rejection(source, name, _REQUIRED.name, blank, _WHITE_SPACE)
            return Rejection(source, name, _REQUIRED.name, value, _REQUIRED.words)
        rule = self._rules.get((name, check))
        if rule is None:
            return Rejection(source, name, check, value)
        return Rejection(source, name, rule.name, value, rule.words)


def _blank_values(cases: pd.DataFrame, frame: pd.DataFrame) -> dict[tuple[str, int], str]:
    """The values of white space behind the missing values of required columns, by (column,
    position): taken in one go a column, since one cell at a time is slow in pandas."""
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
    ``utf8_is_space`` matches) as missing; the same frame when there are none."""
    masked = {}
    for name in frame.columns:
        column = frame[name]
        blank = pc.utf8_is_space(pyarrow.array(column.array)).fill_null(False)
        if pc.any(blank).as_py():
            masked[name] = column.mask(np.asarray(blank))
    return frame.assign(**masked) if masked else frame
