"""Regular expressions as the validator runs them: whole values matched by RE2, through pyarrow.

RE2 runs in time linear in the text, so no pattern can hang a load on catastrophic
backtracking; the price is that it refuses look-around, backreferences, possessive quantifiers
and ``\\Z``. There is no fallback to Python's ``re``: ``check_pattern`` refuses such a pattern
when the mapping is read, before any row.
"""

from __future__ import annotations

import pandas as pd
import pyarrow
import pyarrow.compute as pc

_HINTS = (
    ("(?=", "look-ahead"),
    ("(?!", "look-ahead"),
    ("(?<=", "look-behind"),
    ("(?<!", "look-behind"),
    ("(?P=", "a backreference"),
    ("\\Z", "\\Z (the whole value must match anyway: leave it out)"),
    ("++", "a possessive quantifier"),
    ("*+", "a possessive quantifier"),
    ("?+", "a possessive quantifier"),
)


def anchored(pattern: str) -> str:
    """``pattern`` matching whole values only."""
    return f"^(?:{pattern})$"


def check_pattern(pattern: str) -> None:
    """Check that RE2 can run ``pattern`` (as a whole-value match).

    Raises:
        ValueError: RE2 refuses it; the one-line message names what it refused and why.
    """
    probe = pyarrow.array([""], pyarrow.string())
    for candidate in (pattern, anchored(pattern)):
        try:
            pc.match_substring_regex(probe, candidate)
        except pyarrow.ArrowInvalid as exc:
            raise ValueError(_refusal(pattern, str(exc))) from exc


def _refusal(pattern: str, arrow_message: str) -> str:
    reason = arrow_message.splitlines()[0] if arrow_message else "refused"
    reason = reason.removeprefix("Invalid regular expression: ")
    found = next((what for token, what in _HINTS if token in pattern), None)
    if found is None and any(f"\\{d}" in pattern for d in "123456789"):
        found = "a backreference"
    if found is None:
        return f"pattern {pattern!r}: RE2 cannot run it ({reason})"
    return (
        f"pattern {pattern!r}: RE2 cannot run it ({reason}): RE2 has no {found}; rewrite the "
        "pattern without it"
    )


def fullmatch(values: pd.Series, pattern: str) -> pd.Series:
    """Whether each value matches ``pattern`` whole (RE2, through Arrow); missing values give
    False.

    Raises:
        ValueError: RE2 refuses the pattern (``check_pattern`` says so before any row).
    """
    try:
        matched = pc.match_substring_regex(pyarrow.array(values.array), anchored(pattern))
    except pyarrow.ArrowInvalid as exc:
        raise ValueError(_refusal(pattern, str(exc))) from exc
    return pd.Series(matched.fill_null(False), index=values.index, dtype=bool)
