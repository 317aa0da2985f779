"""Applying a resolved mapping to source columns: constants, joined columns, transforms, dates
and date-times read by the load's order and time zone, empty cells to missing."""

from __future__ import annotations

import pandas as pd
import pyarrow
import pyarrow.compute as pc

from schemas.mapping import DateTransform, FieldMap, ResolvedMapping, Transform
from schemas.values import ValueOptions, convert

TEXT = "str"  # pandas' text dtype (Arrow-backed with pyarrow installed); missing is NaN


def apply_mapping(mapping: ResolvedMapping, source: pd.DataFrame) -> pd.DataFrame:
    """The target-field frame for ``source`` (its columns are the file's), on the same index.

    A value that a transform cannot convert (a date in none of the formats, or not in the load's
    date order) is left as it was, so that the field's check rejects the row and the report
    shows what the file held.
    """
    out: dict[str, pd.Series] = {}
    for fmap in mapping.fields:
        out[fmap.field.name] = _field_values(fmap, source, mapping.options)
    return pd.DataFrame(out, index=source.index)


def _field_values(fmap: FieldMap, source: pd.DataFrame, options: ValueOptions) -> pd.Series:
    if fmap.column is None:
        values = pd.Series(fmap.value, index=source.index, dtype=TEXT)
    elif len(fmap.columns) > 1:
        values = joined(source, list(fmap.columns), fmap.separator)
    else:
        values = source[fmap.column]
    for transform in fmap.transforms:
        values = apply_transform(values, transform)
    values = convert(values, fmap.field, options)
    return values.mask(values.eq(""))


def joined(source: pd.DataFrame, columns: list[str], separator: str) -> pd.Series:
    """The columns' values joined by ``separator``, empty cells left out (no stray separator);
    empty where every cell is.

    Raises:
        ValueError: no columns.
    """
    # Pairwise, since pyarrow 26's null_handling="skip" drops rows where every part is null.
    together = None
    for name in columns:
        values = pyarrow.array(source[name].array)
        part = pc.if_else(pc.equal(values, ""), None, values)
        if together is None:
            together = part
            continue
        glue = pyarrow.scalar(separator, part.type)
        both = pc.binary_join_element_wise(together, part, glue)
        together = pc.coalesce(both, together, part)
    if together is None:
        raise ValueError("no columns to join")
    return pd.Series(together.fill_null(""), index=source.index, dtype=TEXT)


def apply_transform(values: pd.Series, transform: Transform) -> pd.Series:
    """One transform over a text column; missing stays missing."""
    if isinstance(transform, DateTransform):
        return _to_iso_date(values, transform.date)
    if transform == "trim":
        return values.str.strip()
    if transform == "lower":
        return values.str.lower()
    if transform == "upper":
        return values.str.upper()
    if transform == "digits_only":
        return values.str.replace(r"\D+", "", regex=True)
    raise ValueError(f"unknown transform {transform!r}")  # pragma: no cover - the model forbids it


def _to_iso_date(values: pd.Series, formats: list[str]) -> pd.Series:
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & values.notna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(values[todo], format=fmt, errors="coerce")
    iso: pd.Series = parsed.dt.strftime("%Y-%m-%d").astype(TEXT)
    return iso.where(parsed.notna(), values)
