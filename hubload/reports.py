"""Row reports (rejected.csv, failed.csv...), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = (*FORMULA_START, "'")


def neutralise(cell: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with ``'`` (OWASP's advice);
    a cell that starts with ``'`` gets one too, so that ``unneutralise`` gives it back as it
    was."""
    return "'" + cell if cell.startswith(_QUOTED) else cell


def unneutralise(cell: str) -> str:
    """Undo ``neutralise``: ``'=x`` back to ``=x``, ``''x`` back to ``'x``."""
    if cell.startswith("'") and cell[1:].startswith(_QUOTED):
        return cell[1:]
    return cell


class RowReport:
    """A CSV report of rows: ``line``, the source columns, ``extra_fields`` and a reason column.

    ``extra_fields`` holds the surplus cells of a row that had more fields than the header.
    Every cell from the user's file (header names included) is neutralised for spreadsheets.
    """

    def __init__(self, path: Path, source_header: list[str], reason_column: str) -> None:
        self.path = path
        self.count = 0
        self._width = len(source_header)
        self._stream = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._stream)
        # Header cells come from the user's file as much as data cells do.
        names = [neutralise(name) for name in source_header]
        self._writer.writerow(["line", *names, "extra_fields", reason_column])

    def add(self, line: int, values: list[str], reason: str, delimiter: str = ",") -> None:
        """Write one row; ``values`` are the row's original cells, as many as it had."""
        cells = values[: self._width] + [""] * max(0, self._width - len(values))
        extra = delimiter.join(values[self._width :])
        self._writer.writerow(
            [line, *map(neutralise, cells), neutralise(extra), neutralise(reason)]
        )
        self.count += 1

    def close(self) -> None:
        """Flush and close the file."""
        self._stream.close()

    def __enter__(self) -> RowReport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
