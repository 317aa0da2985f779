"""Dates and date-times read by the load's date order and time zone, written as the target takes
them; what fits no form is left as the file had it (for the check to reject)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from schemas.datetimes import date_words, datetime_words, to_iso_dates, to_utc_datetimes
from schemas.transforms import TEXT


def texts(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype=TEXT)


def as_list(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series.tolist()]


@pytest.mark.parametrize(
    ("order", "given", "expected"),
    [
        ("us", "03/01/2024", "2024-03-01"),
        ("us", "3/1/2024", "2024-03-01"),
        ("us", "12/31/1999", "1999-12-31"),
        ("us", " 02/29/2024 ", "2024-02-29"),
        ("us", "2024-03-01", "2024-03-01"),  # ISO is always taken
        ("european", "03/01/2024", "2024-01-03"),
        ("european", "31/12/1999", "1999-12-31"),
        ("european", "2024-01-03", "2024-01-03"),
    ],
)
def test_a_date_in_the_order_is_written_iso(order: str, given: str, expected: str) -> None:
    assert as_list(to_iso_dates(texts(given), order)) == [expected]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("order", "given"),
    [
        ("european", "13/31/2024"),  # month 31
        ("us", "31/12/2024"),  # month 31
        ("us", "02/30/2024"),  # no such day
        ("us", "02/29/2023"),  # not a leap year
        ("us", "3/1/24"),  # a two-digit year (Java would read the year 24)
        ("us", "2024/03/01"),
        ("us", "03-01-2024"),
        ("european", "01.03.2024"),
        ("us", "03/01/2024 10:00"),  # a date field takes a date only
        ("iso", "03/01/2024"),  # no order: only ISO
        ("us", "junk"),
    ],
)
def test_a_date_that_does_not_fit_is_left_as_it_was(order: str, given: str) -> None:
    assert as_list(to_iso_dates(texts(given), order)) == [given]  # type: ignore[arg-type]


def test_missing_values_stay_missing() -> None:
    assert as_list(to_iso_dates(texts(None, "1/2/2024"), "us")) == [None, "2024-01-02"]
    assert as_list(to_utc_datetimes(texts(None), "us", "UTC")) == [None]


@pytest.mark.parametrize(
    ("order", "zone", "given", "expected"),
    [
        ("iso", "Europe/Paris", "2024-03-01T10:00:00", "2024-03-01T09:00:00Z"),
        ("iso", "Europe/Paris", "2024-03-01 10:00", "2024-03-01T09:00:00Z"),
        ("iso", "Europe/Paris", "2024-07-01T10:00:00", "2024-07-01T08:00:00Z"),  # summer time
        ("iso", "Europe/Paris", "2024-03-01", "2024-02-29T23:00:00Z"),  # a date is midnight
        ("iso", "America/New_York", "2024-03-01T10:00:00.250", "2024-03-01T15:00:00.250Z"),
        ("iso", None, "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"),
        ("iso", None, "2024-03-01T10:00:00+05:30", "2024-03-01T04:30:00Z"),
        ("iso", None, "2024-03-01T10:00:00-0800", "2024-03-01T18:00:00Z"),
        ("iso", None, "2024-03-01T01:00:00+02", "2024-02-29T23:00:00Z"),
        ("iso", "Asia/Tokyo", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"),  # an offset wins
        ("us", "Europe/Paris", "03/01/2024 10:00", "2024-03-01T09:00:00Z"),
        ("us", "Europe/Paris", "3/1/2024 9:05:30", "2024-03-01T08:05:30Z"),
        ("european", "Europe/Paris", "01/03/2024 10:00:00", "2024-03-01T09:00:00Z"),
        ("european", None, "01/03/2024 10:00Z", "2024-03-01T10:00:00Z"),
        ("european", "UTC", "2024-03-01T10:00:00.123456", "2024-03-01T10:00:00.123Z"),
    ],
)
def test_a_datetime_is_written_in_utc(
    order: str, zone: str | None, given: str, expected: str
) -> None:
    assert as_list(to_utc_datetimes(texts(given), order, zone)) == [expected]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("order", "zone", "given"),
    [
        ("iso", None, "2024-03-01T10:00:00"),  # no offset and no zone
        ("us", None, "03/01/2024 10:00"),
        ("us", "UTC", "13/01/2024 10:00"),
        ("european", "UTC", "01/13/2024 10:00"),
        ("iso", "UTC", "2024-03-01T24:00:00"),
        ("iso", "UTC", "2024-03-01T10:60"),
        ("iso", "UTC", "2024-02-30T10:00:00"),
        ("iso", "UTC", "2024-03-01T10:00:00 PM"),
        ("iso", "UTC", "03/01/2024 10:00"),  # no order: only ISO
        ("us", "UTC", "3/1/24 10:00"),
    ],
)
def test_a_datetime_that_does_not_fit_is_left_as_it_was(
    order: str, zone: str | None, given: str
) -> None:
    assert as_list(to_utc_datetimes(texts(given), order, zone)) == [given]  # type: ignore[arg-type]


def test_daylight_saving_as_java_time_does() -> None:
    # Paris: 2024-03-31 02:00 -> 03:00 (a gap); 2024-10-27 03:00 -> 02:00 (an overlap).
    written = to_utc_datetimes(
        texts("2024-03-31 02:30", "2024-10-27 02:30", "2024-10-27 03:30"), "iso", "Europe/Paris"
    )
    # The gap's 02:30 is 03:30 summer time (moved on by the gap); the overlap's 02:30 is the
    # earlier instant (summer time, +02:00).
    assert as_list(written) == [
        "2024-03-31T01:30:00Z",
        "2024-10-27T00:30:00Z",
        "2024-10-27T02:30:00Z",
    ]


def test_many_values_agree_with_zoneinfo() -> None:
    rng = np.random.default_rng(7)
    minutes = rng.integers(0, 4 * 366 * 24 * 60, 2_000)
    local = [datetime(2022, 1, 1) + pd.Timedelta(minutes=int(m)) for m in minutes]
    # Each year's gap (2nd Sunday of March, 02:xx) and overlap (1st Sunday of November, 01:xx).
    local += [datetime(2024, 3, 10, 2, m) for m in range(0, 60, 7)]
    local += [datetime(2024, 11, 3, 1, m) for m in range(0, 60, 7)]
    zone = ZoneInfo("America/New_York")
    got = to_utc_datetimes(texts(*(d.strftime("%m/%d/%Y %H:%M") for d in local)), "us", zone.key)
    for day, value in zip(local, got.tolist(), strict=True):
        # fold=0 is java.time's choice: the earlier instant of an overlap, and in a gap the
        # offset from before it.
        expected = day.replace(tzinfo=zone, fold=0).astimezone(UTC)
        assert value == expected.strftime("%Y-%m-%dT%H:%M:%SZ"), day


def test_the_words_name_the_order_and_the_zone() -> None:
    assert date_words("european") == "not a date in the european order DD/MM/YYYY"
    assert date_words("us") == "not a date in the us order MM/DD/YYYY"
    assert "with an offset (no time zone is set)" in datetime_words("us", None)
    assert "MM/DD/YYYY HH:MM[:SS]" in datetime_words("us", "Europe/Paris")
    assert "read in Europe/Paris without an offset" in datetime_words("iso", "Europe/Paris")
