"""Cutting over-long free text to its field's length, when the load asks for it (Data Loader's
``sfdc.truncateFields``), keeping what was cut so that each row can be reported.

Lengths are counted in characters (code points), as the length check counts them. Only the
fields ``ValueOptions.cuts`` allows are cut; any other over-long value is rejected as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from schemas.mapping import ResolvedMapping


@dataclass(frozen=True)
class Cut:
    """The values of one field that were cut, in one chunk."""

    field: str
    source: str
    """The source column (``constant`` for a constant)."""
    length: int
    """The field's length: what each value was cut to."""
    positions: np.ndarray
    """Their positions in the chunk."""
    originals: list[str]
    """The values as they were."""


def cut_long_text(frame: pd.DataFrame, mapping: ResolvedMapping) -> tuple[pd.DataFrame, list[Cut]]:
    """``frame`` (mapped, a RangeIndex) with over-long values of the fields to cut cut to their
    length, and what was cut; the same frame when nothing was."""
    options = mapping.options
    if not options.truncate:
        return frame, []
    cuts: list[Cut] = []
    replaced: dict[str, pd.Series] = {}
    for fmap in mapping.fields:
        field = fmap.field
        if field.length is None or not options.cuts(field):
            continue
        values = pyarrow.array(frame[field.name].array)
        over = pc.greater(pc.utf8_length(values), field.length).fill_null(False)
        if not pc.any(over).as_py():
            continue
        kept = pc.if_else(over, pc.utf8_slice_codeunits(values, 0, field.length), values)
        replaced[field.name] = pd.Series(kept, index=frame.index, dtype=frame[field.name].dtype)
        source = ", ".join(fmap.columns) or "constant"
        cuts.append(
            Cut(
                field=field.name,
                source=source,
                length=field.length,
                positions=np.flatnonzero(np.asarray(over)),
                originals=pc.filter(values, over).to_pylist(),
            )
        )
    return (frame.assign(**replaced) if replaced else frame), cuts
