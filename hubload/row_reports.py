"""failed.csv and success.csv: each row by its source line, with its original cells and what the
target said of it (its error, or its record id)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from hubload.outcomes import ChunkOutcome
from hubload.reports import RowReport, neutralise
from hubload.staging import StagedChunk


def _sidecar_rows(chunk: StagedChunk) -> Iterator[tuple[int, int, list[str]]]:
    """(position in the chunk, source line, original cells) of each staged row."""
    with chunk.sidecar.open(encoding="utf-8", newline="") as stream:
        for position, row in enumerate(csv.reader(stream), start=1):
            yield position, int(row[0]), row[1:]


def write_failed_report(
    path: Path,
    source_header: list[str],
    chunks: list[StagedChunk],
    outcomes: dict[int, ChunkOutcome],
) -> int:
    """Write failed.csv: each failed row's source line, original cells and the target's error.

    Returns the number of rows written.
    """
    with RowReport(path, source_header, "error") as report:
        for chunk in chunks:
            outcome = outcomes.get(chunk.number)
            if outcome is None or outcome.failed == 0:
                continue
            if outcome.all_failed_reason is not None:
                wanted = dict.fromkeys(range(1, chunk.rows + 1), outcome.all_failed_reason)
            else:
                wanted = {f.record_number: f.error for f in outcome.failed_rows if f.record_number}
            for position, line, cells in _sidecar_rows(chunk):
                if position in wanted:
                    report.add(line, cells, wanted[position])
        return report.count


def write_success_report(
    path: Path,
    source_header: list[str],
    chunks: list[StagedChunk],
    outcomes: dict[int, ChunkOutcome],
) -> int:
    """Write success.csv: ``line``, ``id`` (the record id), ``created`` (true when created,
    false when updated), then the row's original cells; for targets that give record ids.

    Returns the number of rows written.
    """
    count = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["line", "id", "created", *map(neutralise, source_header)])
        for chunk in chunks:
            outcome = outcomes.get(chunk.number)
            if outcome is None or outcome.successes is None:
                continue
            ids = _ids(outcome.successes)
            for position, line, cells in _sidecar_rows(chunk):
                found = ids.get(position)
                if found is not None:
                    writer.writerow([line, found[0], found[1], *map(neutralise, cells)])
                    count += 1
    return count


def _ids(path: Path) -> dict[int, tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader, None)
        return {int(row[0]): (row[1], row[2]) for row in reader}
