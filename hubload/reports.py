"""Run reports: rejected.csv, failed.csv (safe to open in a spreadsheet) and summary.json."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

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


@dataclass(frozen=True)
class JobSummary:
    """One bulk job of a run, as the summary shows it."""

    chunk: int
    job_id: str | None
    status: str
    rows: int
    succeeded: int
    failed: int
    message: str | None = None


@dataclass(frozen=True)
class Summary:
    """The outcome of one load: counts that reconcile, the jobs, and where the reports are."""

    run_id: str
    file: str
    hub: str
    object: str
    operation: str
    dry_run: bool
    read: int
    staged: int
    succeeded: int
    rejected: int
    failed: int
    jobs: list[JobSummary] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    top_rejections: list[tuple[str, int]] = field(default_factory=list)
    blank_lines: int = 0
    unmapped_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent reading, mapping, validating, staging and running the jobs."""
    discrepancies: list[str] = field(default_factory=list)
    """Why the counts do not reconcile, beyond the totals (a job's counts disagreeing)."""

    @property
    def reconciles(self) -> bool:
        """Whether every row read is accounted for: succeeded, rejected or failed (a dry run:
        staged or rejected), and no job's counts disagree."""
        if self.discrepancies:
            return False
        if self.dry_run:
            return self.read == self.staged + self.rejected
        return self.read == self.succeeded + self.rejected + self.failed

    @property
    def all_succeeded(self) -> bool:
        """Whether the load was clean: no row rejected or failed."""
        return self.rejected == 0 and self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to summary.json."""
        data = asdict(self)
        data["top_rejections"] = [{"reason": r, "rows": n} for r, n in self.top_rejections]
        data["reconciles"] = self.reconciles
        return data

    def write(self, path: Path) -> None:
        """Write summary.json."""
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
