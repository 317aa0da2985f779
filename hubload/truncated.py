"""truncated.csv: each value a load cut to its field's length (``--truncate``), one line per value,
in the order of the file's lines, with the value as the file had it (safe to open in a
spreadsheet)."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType

from hubload.reports import neutralise

HEADER = ("line", "field", "source", "max_length", "original_length", "original_value")


class TruncatedReport:
    """The report of the values cut; ``rows`` counts the rows with at least one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.values = 0
        self._stream = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._stream)
        self._writer.writerow(HEADER)

    def add(self, line: int, cuts: list[tuple[str, str, int, str]]) -> None:
        """One row's cut values: (field, source column, field length, original value)."""
        for field, source, length, original in cuts:
            self._writer.writerow(
                [line, field, neutralise(source), length, len(original), neutralise(original)]
            )
        self.rows += 1
        self.values += len(cuts)

    def close(self) -> None:
        """Flush and close the file."""
        self._stream.close()

    def __enter__(self) -> TruncatedReport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
