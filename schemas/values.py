"""How cell values are read and sent, beyond the mapping: the settings Data Loader users rely on
(insert nulls, a time zone, the date order, truncation), carried by the resolved mapping.

Each costs nothing when off: a date or date-time field is converted only when the date order is
not ISO or a time zone is given; empty cells become ``#N/A`` only when fields are cleared.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow
import pyarrow.compute as pc

from schemas import catalog
from schemas.catalog import FieldSpec
from schemas.datetimes import DateOrder, to_iso_dates, to_utc_datetimes

NULL_MARKER = "#N/A"
"""Bulk API 2.0's value that clears a field (on insert it is null, as an empty cell)."""

TRUNCATABLE_TYPES = frozenset({"string", "textarea", "encryptedstring"})
"""Free text: cutting it loses its end, not its meaning. An email, phone, URL, picklist value or
identifier cut short would be another value, so those are never cut (rejected as too long)."""


@dataclass(frozen=True)
class ValueOptions:
    """How values are read and sent (Data Loader's ``sfdc.insertNulls``, ``sfdc.timezone``,
    ``process.useEuropeanDates``, ``sfdc.truncateFields``)."""

    clear_empty: bool = False
    """An empty cell clears the field, sent as ``#N/A`` (set only for update and upsert)."""
    timezone: str | None = None
    """IANA zone of the date-times written without an offset."""
    dates: DateOrder = "iso"
    """The order of ambiguous dates: ``us`` MM/DD/YYYY, ``european`` DD/MM/YYYY."""
    truncate: bool = False
    """Over-long free text is cut to the field's length (and reported), not rejected."""

    def converts(self, field: FieldSpec) -> bool:
        """Whether this field's values are read by the date order or the time zone."""
        native = field.native_type
        if native in catalog.DATE_TYPES:
            return self.dates != "iso"
        if native in catalog.DATETIME_TYPES:
            return self.dates != "iso" or self.timezone is not None
        return False

    def cuts(self, field: FieldSpec) -> bool:
        """Whether over-long values of this field are cut rather than rejected."""
        return self.truncate and truncatable(field)


def truncatable(field: FieldSpec) -> bool:
    """Free text with a length that identifies nothing (not an external id, not unique, not a
    lookup's parent key)."""
    return (
        field.native_type in TRUNCATABLE_TYPES
        and field.length is not None
        and not (field.external_id or field.unique or field.id_lookup or "." in field.name)
    )


def convert(values: pd.Series, field: FieldSpec, options: ValueOptions) -> pd.Series:
    """A date or date-time field's values as the target takes them (``YYYY-MM-DD``, UTC
    ``YYYY-MM-DDTHH:MM:SSZ``); others, and values that fit no form, as they were."""
    if not options.converts(field):
        return values
    if field.native_type in catalog.DATE_TYPES:
        return to_iso_dates(values, options.dates)
    return to_utc_datetimes(values, options.dates, options.timezone)


def with_null_marker(upload: pyarrow.Table) -> pyarrow.Table:
    """``upload`` with every missing value sent as ``#N/A`` (the field cleared)."""
    columns = [pc.fill_null(column, NULL_MARKER) for column in upload.columns]
    return pyarrow.Table.from_arrays(columns, names=upload.column_names)
