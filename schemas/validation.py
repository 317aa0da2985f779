"""The pandera schema of a mapped chunk, built from the target's metadata and the mapping's checks,
and the split of a chunk into valid rows and rejected rows with their reasons."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from schemas import catalog
from schemas.catalog import FieldSpec
from schemas.mapping import ExtraCheck, ResolvedMapping

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


class ChunkValidationError(ValueError):
    """A failure that cannot be tied to rows (a missing column, a check that crashed)."""


@dataclass(frozen=True)
class Rejection:
    """One failed check of one row: the source column, target field, check and value."""

    column: str | None
    field: str
    check: str
    value: object

    @property
    def key(self) -> str:
        """The reason without its value, to count reasons: ``C_Title -> Title: max_length(128)``."""
        source = self.column if self.column is not None else "constant"
        check = "required" if self.check == "not_nullable" else self.check
        return f"{source} -> {self.field}: {check}"

    @property
    def text(self) -> str:
        """The reason as reported, with the offending value when there is one."""
        if self.check == "not_nullable":
            return f"{self.key} value is empty"
        shown = str(self.value)
        if len(shown) > _MAX_SHOWN:
            shown = shown[:_MAX_SHOWN] + "..."
        return f"{self.key} check failed for {shown!r}"


@dataclass
class SplitResult:
    """Which rows of a chunk passed, and why each other row was rejected."""

    valid: np.ndarray
    reasons: dict[int, list[Rejection]] = field(default_factory=dict)


def fullmatch(values: pd.Series, pattern: str) -> pd.Series:
    """Whether each value matches ``pattern`` whole. Arrow's RE2 engine runs it (10x faster
    than pandas' fallback for some patterns); a pattern RE2 refuses (a look-ahead in a
    mapping's own check) runs in Python's ``re``. Missing values give False."""
    try:
        matched = pc.match_substring_regex(pyarrow.array(values.array), f"^(?:{pattern})$")
    except pyarrow.ArrowInvalid:
        return values.str.fullmatch(pattern).fillna(False).astype(bool)
    return pd.Series(matched.fill_null(False), index=values.index, dtype=bool)


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


def _metadata_checks(spec: FieldSpec) -> list[pa.Check]:
    native = spec.native_type
    checks: list[pa.Check] = []
    if spec.length is not None:
        length = spec.length
        checks.append(pa.Check(lambda s: s.str.len() <= length, error=f"max_length({length})"))
    typed: list[tuple[frozenset[str], str, Callable[[pd.Series], pd.Series]]] = [
        (catalog.EMAIL_TYPES, "email", _matches(EMAIL)),
        (catalog.PHONE_TYPES, "phone", _phone),
        (catalog.URL_TYPES, "url", _matches(URL)),
        (catalog.DATE_TYPES, "date(yyyy-MM-dd)", _real_date),
        (catalog.DATETIME_TYPES, "datetime(ISO 8601)", _matches(DATETIME)),
        (catalog.INTEGER_TYPES, "integer", _matches(INTEGER)),
        (catalog.NUMBER_TYPES, "number", _matches(NUMBER)),
        (catalog.BOOLEAN_TYPES, "boolean", _matches(BOOLEAN)),
    ]
    for types, name, fn in typed:
        if native in types:
            checks.append(pa.Check(fn, error=name))
    if native in catalog.PICKLIST_TYPES and spec.restricted_picklist and spec.picklist:
        allowed = list(spec.picklist)
        checks.append(pa.Check(lambda s: s.isin(allowed), error="picklist"))
    return checks


def _extra_check(extra: ExtraCheck) -> pa.Check | None:
    label = extra.label
    if extra.pattern is not None:
        return pa.Check(_matches(extra.pattern), error=label)
    if extra.one_of is not None:
        allowed = list(extra.one_of)
        return pa.Check(lambda s: s.isin(allowed), error=label)
    if extra.min_length is not None:
        low = extra.min_length
        return pa.Check(lambda s: s.str.len() >= low, error=label)
    if extra.max_length is not None:
        high = extra.max_length
        return pa.Check(lambda s: s.str.len() <= high, error=label)
    if extra.unique:
        return pa.Check(_Unique(), error=label)
    return None  # required: expressed as nullable=False


class ChunkValidator:
    """Validates mapped chunks of one load; keeps cross-chunk state (``unique`` checks)."""

    def __init__(self, mapping: ResolvedMapping) -> None:
        self._sources = {m.field.name: m for m in mapping.fields}
        columns = {}
        for fmap in mapping.fields:
            extras = mapping.checks.get(fmap.field.name, ())
            checks = _metadata_checks(fmap.field)
            checks += [c for c in map(_extra_check, extras) if c is not None]
            required = fmap.field.required or any(e.required for e in extras)
            columns[fmap.field.name] = pa.Column(str, checks=checks, nullable=not required)
        self.schema = pa.DataFrameSchema(columns, strict=True, ordered=False)

    def split(self, frame: pd.DataFrame) -> SplitResult:
        """Validate ``frame`` (a RangeIndex of chunk positions) and split it.

        Raises:
            ChunkValidationError: a failure not tied to a row; the chunk cannot be split safely.
        """
        valid = np.ones(len(frame), dtype=bool)
        try:
            self.schema.validate(frame, lazy=True)
        except SchemaErrors as exc:
            return self._reasons(exc.failure_cases, valid)
        return SplitResult(valid=valid)

    def _reasons(self, cases: pd.DataFrame, valid: np.ndarray) -> SplitResult:
        unplaced = cases[cases["index"].isna()]
        if len(unplaced):
            first = unplaced.iloc[0]
            raise ChunkValidationError(
                f"validation failed for the whole chunk: {first['column']}: {first['check']} "
                f"({first['failure_case']})"
            )
        reasons: dict[int, list[Rejection]] = defaultdict(list)
        for column, check, value, index in cases[
            ["column", "check", "failure_case", "index"]
        ].itertuples(index=False):
            fmap = self._sources.get(str(column))
            source = fmap.column if fmap is not None else None
            reasons[int(index)].append(Rejection(source, str(column), str(check), value))
        valid[list(reasons)] = False
        return SplitResult(valid=valid, reasons=dict(reasons))
