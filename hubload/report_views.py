"""What the UI shows of a run's row reports: the first rows of each, their total, and the rows
counted by reason (validation) or by the target's error code."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hubload.records import parse_error_text

SAMPLE_ROWS = 300
KEY_COLUMNS = 4


@dataclass
class ReportView:
    """The first rows of a report (a few columns), how many it has, and their reasons counted."""

    name: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    total: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)


def view(
    path: Path | None,
    reason_column: str,
    *,
    keys: list[str] | None = None,
    sample: int = SAMPLE_ROWS,
    whole: bool = True,
) -> ReportView:
    """Read a report once: its first ``sample`` rows (``line``, the ``keys`` columns or the
    first few, the reason) and every row's reason counted: by the target's error code for
    failures, by the reason's start (column and check) for rejections. With ``whole`` false,
    only the sample is read (``total`` is then the rows read)."""
    if path is None or not path.is_file():
        return ReportView(name=path.name if path is not None else "")
    found = ReportView(name=path.name)
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header = reader.fieldnames or []
        sources = [c for c in header if c not in {"line", "extra_fields", reason_column}]
        chosen = [c for c in (keys or []) if c in sources] or sources[:KEY_COLUMNS]
        found.columns = ["line", *chosen, reason_column]
        for row in reader:
            found.total += 1
            reason = row.get(reason_column) or ""
            found.by_reason[_kind_of(reason, reason_column)] += 1
            if len(found.rows) < sample:
                found.rows.append({c: row.get(c) or "" for c in found.columns})
            elif not whole:
                break
    return found


def _kind_of(reason: str, column: str) -> str:
    if column == "error":
        code, _ = parse_error_text(reason)
        return code if code != "UNKNOWN" else reason.partition(":")[0][:60]
    # A rejection reads "<column ->> field: <what>; <another>": the first failure's field
    # and check, without the value.
    first = reason.split("; ", maxsplit=1)[0]
    return first.split(" (")[0].split(": '")[0][:80]
