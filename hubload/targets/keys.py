"""Counting records by key values, as CRMs match them: ignoring case, answering in their own
spelling. Each record found counts for every value asked that it matches; values that differ
only in case are asked once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence


class KeyCount:
    """The values asked for (empty ones dropped), grouped by case, and the count of records
    found for each."""

    def __init__(self, values: Sequence[str]) -> None:
        self._asked: dict[str, list[str]] = {}
        for value in sorted({v for v in values if v}):
            self._asked.setdefault(value.lower(), []).append(value)
        self.found: Counter[str] = Counter()

    def batches(self, size: int) -> Iterator[list[str]]:
        """The values to ask, one per case group, ``size`` at a time."""
        groups = sorted(self._asked)
        for start in range(0, len(groups), size):
            yield [self._asked[g][0] for g in groups[start : start + size]]

    def add(self, stored: Iterable[object]) -> None:
        """Count the records found: their key values as the target spells them."""
        for value in stored:
            if isinstance(value, str) and value:
                for asked in self._asked.get(value.lower(), []):
                    self.found[asked] += 1
