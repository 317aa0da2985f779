"""Column screens: which values of a column a check's `sure` test cannot vouch for, at C speed.

A screen never judges: it singles out suspects, which the exact checks then judge one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import compress
from operator import not_

from sandbox.checks import ValueCheck

Screen = Callable[[Sequence[str]], Iterable[int]]


def screen_of(check: ValueCheck) -> Screen:
    """The screen of `check`: the indexes of the values its `sure` test does not prove clean."""
    sure = check.sure
    if isinstance(sure, re.Pattern):
        # Whole lines of the joined column that the pattern matches, as many as possible.
        lines = re.compile(f"(?:(?:{sure.pattern})\n)*+", sure.flags)
        return partial(_unmatched, lines.match, sure.fullmatch)
    if isinstance(sure, frozenset):
        return partial(_refused, sure.__contains__)
    bad = check.bad
    return partial(_refused, lambda value: not bad(value))


def _refused(test: Callable[[str], object], values: Sequence[str]) -> Iterable[int]:
    verdicts = list(map(test, values))
    return () if all(verdicts) else compress(range(len(values)), map(not_, verdicts))


def _unmatched(
    lines: Callable[[str, int], re.Match[str] | None],
    fullmatch: Callable[[str], object],
    values: Sequence[str],
) -> Iterable[int]:
    """The values `fullmatch` refuses, found by matching the column joined with newlines.

    One match call covers every clean value up to the next suspect: an order of magnitude
    fewer calls (and no match object per value) than testing value by value. The sure
    patterns never match a newline, so each line is matched exactly as its value would be.
    """
    text = "\n".join(values) + "\n"
    if text.count("\n") != len(values):  # a value holds a newline: test them one by one
        return _refused(fullmatch, values)
    found: list[int] = []
    start = index = 0
    while True:
        match = lines(text, start)
        stop = match.end() if match is not None else start  # the pattern always matches
        if stop == len(text):
            return found
        index += text.count("\n", start, stop)
        found.append(index)
        start = text.index("\n", stop) + 1
        index += 1
