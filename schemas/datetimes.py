"""Dates and date-times as a file writes them (ISO 8601, or Data Loader's US or European order)
read into what the target takes: ``YYYY-MM-DD``, and date-times in UTC as
``YYYY-MM-DDTHH:MM:SSZ`` (``.SSS`` kept when the value has milliseconds).

Vectorised: an RE2 match (Arrow) per accepted form, its numbers sliced where they sit at fixed
places (``2024-03-01``, ``03/01/2024 10:00``) or else taken apart by named groups, the calendar
checked with numpy, time zones applied by pandas, the text written by Arrow's cast. A value that
fits no form, or is no real day or time (30/02, 25:00), is left as it was: the field's check
then rejects it, in words that name the order expected.

Choices (Data Loader, where it is silent or surprising, in brackets):

- ISO ``YYYY-MM-DD`` is always accepted, whatever the order (as Data Loader does); two-digit
  years are not (Java reads ``1/2/24`` as the year 24).
- A date field takes a date only, never shifted by a time zone [Data Loader parses dates in its
  time zone and may load the day before, unless ``datefield.usegmt``].
- A date-time with an offset (``Z``, ``+01:00``, ``+0100``, ``+01``) is that instant; one without
  is read in the load's time zone; without a time zone it is refused [Data Loader takes the
  machine's zone, so the same file loads differently on two machines]. A date alone is midnight.
- In a zone's daylight-saving overlap the earlier instant is taken, and a time in its gap is moved
  on by the gap's length, as ``java.time`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

DateOrder = Literal["iso", "us", "european"]

DATE_SHAPES: dict[str, str] = {"iso": "YYYY-MM-DD", "us": "MM/DD/YYYY", "european": "DD/MM/YYYY"}
UTC_DATETIME = r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{3})?Z"
"""What ``to_utc_datetimes`` writes."""

_ISO = r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
_SLASH = {
    "us": r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})",
    "european": r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})",
}
_TIME = r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
_OFFSET = r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?"
_NUMBERS = ("y", "m", "d", "H", "M", "S")
_OPTIONAL = frozenset({"H", "M", "S"})
_DAY = 86_400
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_INT = pyarrow.int64()
_GAP_LOOKBACK = pd.Timedelta(hours=6)  # longer than any daylight-saving gap


def _whole(pattern: str) -> str:
    return rf"^\s*{pattern}\s*$"


@dataclass(frozen=True)
class _Form:
    """One way of writing a value: a whole-value pattern, and where its numbers are when they
    sit at fixed places (sliced, some times faster than taking groups apart), else None
    (named groups)."""

    pattern: str
    places: tuple[tuple[str, int, int], ...] | None = None


def _fixed_dates(order: DateOrder) -> list[tuple[str, tuple[tuple[str, int, int], ...]]]:
    iso = (r"\d{4}-\d{2}-\d{2}", (("y", 0, 4), ("m", 5, 7), ("d", 8, 10)))
    if order == "iso":
        return [iso]
    first, second = ("m", "d") if order == "us" else ("d", "m")
    return [iso, (r"\d{2}/\d{2}/\d{4}", ((first, 0, 2), (second, 3, 5), ("y", 6, 10)))]


def _date_forms(order: DateOrder) -> list[_Form]:
    """The forms a date field accepts in ``order`` (ISO first)."""
    fixed = [_Form(f"^{shape}$", places) for shape, places in _fixed_dates(order)]
    return [*fixed, *(_Form(_whole(form)) for form in _loose(order))]


def _datetime_forms(order: DateOrder) -> list[_Form]:
    """The forms a date-time field accepts in ``order`` (ISO first)."""
    fixed = []
    for shape, places in _fixed_dates(order):
        clock = (("H", 11, 13), ("M", 14, 16))
        fixed += [
            _Form(rf"^{shape}[T ]\d{{2}}:\d{{2}}:\d{{2}}Z?$", (*places, *clock, ("S", 17, 19))),
            _Form(rf"^{shape}[T ]\d{{2}}:\d{{2}}Z?$", (*places, *clock)),
        ]
    loose = [_Form(_whole(form + _TIME + _OFFSET)) for form in _loose(order)]
    return [*fixed, *loose]


def _loose(order: DateOrder) -> list[str]:
    return [_ISO] + ([_SLASH[order]] if order in _SLASH else [])


def date_words(order: DateOrder) -> str:
    """How a rejection says what a date should look like."""
    if order == "iso":
        return "not a date (YYYY-MM-DD)"
    return f"not a date in the {order} order {DATE_SHAPES[order]}"


def datetime_words(order: DateOrder, zone: str | None) -> str:
    """How a rejection says what a date-time should look like."""
    shape = "ISO 8601 (YYYY-MM-DDTHH:MM:SS)"
    if order != "iso":
        shape = f"the {order} order {DATE_SHAPES[order]} HH:MM[:SS], or ISO 8601"
    if zone is None:
        return f"not a date and time in {shape} with an offset (no time zone is set)"
    return f"not a date and time in {shape} (read in {zone} without an offset)"


@dataclass
class _Parts:
    """The pieces of each value; ``found`` where one of the forms matched."""

    found: np.ndarray
    numbers: dict[str, np.ndarray]
    nanos: np.ndarray
    offset_minutes: np.ndarray
    has_offset: np.ndarray


def _parts(values: pyarrow.Array, forms: Sequence[_Form]) -> _Parts:
    size = len(values)
    parts = _Parts(
        found=np.zeros(size, dtype=bool),
        numbers={name: np.zeros(size, dtype=np.int64) for name in _NUMBERS},
        nanos=np.zeros(size, dtype=np.int64),
        offset_minutes=np.zeros(size, dtype=np.int64),
        has_offset=np.zeros(size, dtype=bool),
    )
    for form in forms:
        # A cheap match first: only the values that fit are taken apart (a column is mostly
        # in one form, so the other forms cost a match each).
        todo = np.flatnonzero(~parts.found)
        if not todo.size:
            break
        subset = values if todo.size == size else values.take(pyarrow.array(todo))
        fits = np.asarray(pc.match_substring_regex(subset, form.pattern).fill_null(False))
        if not fits.any():
            continue
        rows = todo[fits]
        matched = subset.filter(pyarrow.array(fits))
        if form.places is not None:
            for name, start, stop in form.places:
                digits = pc.utf8_slice_codeunits(matched, start, stop)
                parts.numbers[name][rows] = np.asarray(pc.cast(digits, _INT))
            parts.has_offset[rows] = np.asarray(pc.ends_with(matched, "Z"))
        else:
            _take_apart(pc.extract_regex(matched, form.pattern), rows, parts)
        parts.found[rows] = True
    return parts


def _take_apart(extracted: pyarrow.StructArray, rows: np.ndarray, parts: _Parts) -> None:
    names = {extracted.type.field(i).name for i in range(extracted.type.num_fields)}
    for name in _NUMBERS:
        if name in names:
            digits = pc.struct_field(extracted, name)
            parts.numbers[name][rows] = (
                _integers(digits) if name in _OPTIONAL else np.asarray(pc.cast(digits, _INT))
            )
    if "f" in names:
        padded = pc.utf8_rpad(pc.struct_field(extracted, "f"), 9, "0")
        parts.nanos[rows] = _integers(padded)
    if "z" in names:
        zone = pc.struct_field(extracted, "z")
        parts.has_offset[rows] = np.asarray(pc.greater(pc.utf8_length(zone), 0))
        parts.offset_minutes[rows] = _offset_minutes(zone)


def _integers(texts: pyarrow.Array) -> np.ndarray:
    """Digit strings as integers; an empty one (a part left out) as 0."""
    zero = pyarrow.scalar("0", texts.type)
    joined = pc.binary_join_element_wise(zero, texts, pyarrow.scalar("", texts.type))
    return np.asarray(pc.cast(joined, _INT))


def _offset_minutes(zone: pyarrow.Array) -> np.ndarray:
    digits = pc.replace_substring(zone, ":", "")  # +0100, +01, Z, or empty
    sign = np.where(np.asarray(pc.starts_with(digits, "-")), -1, 1)
    hours = _integers(pc.utf8_slice_codeunits(digits, 1, 3))
    minutes = _integers(pc.utf8_slice_codeunits(digits, 3, 5))
    return np.asarray(sign * (hours * 60 + minutes), dtype=np.int64)


def _epoch_days(parts: _Parts) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of each value, and whether it is a real day (integer arithmetic:
    H. Hinnant's days_from_civil)."""
    year, month, day = parts.numbers["y"], parts.numbers["m"], parts.numbers["d"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    longest = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    real = parts.found & (month >= 1) & (month <= 12) & (day >= 1) & (day <= longest)
    shifted = year - (month <= 2)
    era = np.floor_divide(shifted, 400)
    of_era = shifted - era * 400
    of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    of_cycle = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    return era * 146_097 + of_cycle - 719_468, real


def _text(values: pd.Series) -> pyarrow.Array:
    return pyarrow.array(values.array, pyarrow.large_string())


def to_iso_dates(values: pd.Series, order: DateOrder) -> pd.Series:
    """Dates written in ``order`` (or ISO) as ``YYYY-MM-DD``; anything else left as it was."""
    parts = _parts(_text(values), _date_forms(order))
    days, real = _epoch_days(parts)
    if not real.any():
        return values
    written = pc.cast(pyarrow.array(days.astype(np.int32), pyarrow.date32()), pyarrow.string())
    iso = pd.Series(written, index=values.index, dtype=values.dtype)
    return iso.where(real, values)


def to_utc_datetimes(values: pd.Series, order: DateOrder, zone: str | None) -> pd.Series:
    """Date-times written in ``order`` (or ISO) as UTC ``YYYY-MM-DDTHH:MM:SS[.SSS]Z``: with
    their offset, or else in ``zone``; anything else (no offset and no zone) left as it was."""
    parts = _parts(_text(values), _datetime_forms(order))
    days, real = _epoch_days(parts)
    hour, minute, second = parts.numbers["H"], parts.numbers["M"], parts.numbers["S"]
    real &= (hour <= 23) & (minute <= 59) & (second <= 59)
    local = days * _DAY + hour * 3600 + minute * 60 + second
    utc = local - parts.offset_minutes * 60
    unzoned = real & ~parts.has_offset
    if zone is None:
        real &= parts.has_offset
    elif unzoned.any():
        utc[unzoned] = _local_to_utc(local[unzoned], zone)
    if not real.any():
        return values
    millis = parts.nanos // 1_000_000
    exact = real & (millis != 0)
    if exact.any():
        written = _iso_utc(np.where(real, utc * 1000 + millis, 0), "ms", exact)
    else:
        written = _iso_utc(np.where(real, utc, 0), "s", None)
    out = pd.Series(written, index=values.index, dtype=values.dtype)
    return out.where(real, values)


def _iso_utc(instants: np.ndarray, unit: str, exact: np.ndarray | None) -> pyarrow.Array:
    """``YYYY-MM-DDTHH:MM:SS[.SSS]Z`` (Arrow's cast writes ``YYYY-MM-DD HH:MM:SS[.SSS]``, many
    times faster than its strftime); milliseconds only where ``exact``."""
    text = pc.cast(pyarrow.array(instants, pyarrow.timestamp(unit)), pyarrow.string())
    if exact is not None:
        text = pc.if_else(exact, text, pc.utf8_slice_codeunits(text, 0, 19))
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, "Z", "")


def _local_to_utc(local: np.ndarray, zone: str) -> np.ndarray:
    """Seconds of local wall-clock time in ``zone`` as UTC seconds: the earlier instant in an
    overlap; in a gap, the offset from before it (02:30 in a 02:00-03:00 gap is 03:30)."""
    naive = pd.DatetimeIndex(local.astype("datetime64[s]"))
    earlier = np.ones(len(naive), dtype=bool)
    aware = naive.tz_localize(zone, ambiguous=earlier, nonexistent="NaT")
    utc = _seconds(aware.tz_convert("UTC").tz_localize(None))
    gap = np.asarray(aware.isna())
    if gap.any():
        before = (naive[gap] - _GAP_LOOKBACK).tz_localize(
            zone, ambiguous=earlier[gap], nonexistent="shift_forward"
        )
        offset = _seconds(before.tz_localize(None)) - _seconds(
            before.tz_convert("UTC").tz_localize(None)
        )
        utc[gap] = local[gap] - offset
    return utc


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.as_unit("s").asi8, dtype=np.int64).copy()
