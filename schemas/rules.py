"""The checks a field's values must pass: those its metadata implies (type, length, picklist) and
those a mapping adds (pattern, one of, lengths, unique), each a ``Rule`` (what a failure says)
and a vectorised function over a column (RE2 through Arrow; no value at a time in Python but
``unique``, which must remember values across chunks).

Dates and date-times read by the load's order or time zone (``schemas.values``) are checked in
the form ``schemas.datetimes`` writes them, and their failures name the order expected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd
import pyarrow
import pyarrow.compute as pc

from schemas import catalog
from schemas.catalog import FieldSpec
from schemas.datetimes import DATE_SHAPES, UTC_DATETIME, date_words, datetime_words
from schemas.mapping import ExtraCheck
from schemas.patterns import fullmatch
from schemas.values import ValueOptions

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

_MAX_LISTED = 5

Check = Callable[[pd.Series], pd.Series]
"""A column in, whether each value passes out (missing values are not asked)."""


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


def _matches(pattern: str) -> Check:
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


def _real_utc_datetime(s: pd.Series) -> pd.Series:
    """What ``schemas.datetimes`` writes, on a real day (a value it could not read is left as
    the file had it, and fails here)."""
    shaped = fullmatch(s, UTC_DATETIME)
    return shaped & _real_date(s.str.slice(0, 10).where(shaped, "2000-01-01"))


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


_TYPED: list[tuple[frozenset[str], Rule, Check]] = [
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


def _read_by_options(spec: FieldSpec, options: ValueOptions) -> tuple[Rule, Check]:
    order = options.dates
    if spec.native_type in catalog.DATE_TYPES:
        rule = Rule(CheckKind.DATE, f"date({DATE_SHAPES[order]})", date_words(order) + " ({value})")
        return rule, _real_date
    zone = options.timezone
    shape = "ISO 8601" if order == "iso" else f"{DATE_SHAPES[order]} HH:MM[:SS]"
    name = f"datetime({shape}, {zone or 'with an offset'})"
    words = datetime_words(order, zone) + " ({value})"
    return Rule(CheckKind.DATETIME, name, words), _real_utc_datetime


def metadata_checks(spec: FieldSpec, options: ValueOptions) -> list[tuple[Rule, Check]]:
    """The checks a field's metadata implies (its dates read by ``options``)."""
    native = spec.native_type
    checks: list[tuple[Rule, Check]] = []
    if spec.length is not None:
        length = spec.length
        rule = Rule(
            CheckKind.MAX_LENGTH, f"max_length({length})", f"longer than {length} characters"
        )
        checks.append((rule, lambda s: s.str.len() <= length))
    if options.converts(spec):
        checks.append(_read_by_options(spec, options))
    else:
        checks += [(rule, fn) for types, rule, fn in _TYPED if native in types]
    if native in catalog.PICKLIST_TYPES and spec.restricted_picklist and spec.picklist:
        allowed = list(spec.picklist)
        words = f"not one of the picklist's values ({_listed(allowed)}): {{value}}"
        checks.append((Rule(CheckKind.PICKLIST, "picklist", words), lambda s: s.isin(allowed)))
    return checks


def extra_check(extra: ExtraCheck) -> tuple[Rule, Check] | None:
    """The check a mapping adds; None for ``required`` (a column's ``nullable=False``)."""
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
