"""failed.csv and success.csv: each row by its source line, with its original cells and what the
target said of it (its error, or its record id)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from hubload.chunkfiles import sidecar_rows
from hubload.healing import HEAL_BASE
from hubload.outcomes import ChunkOutcome
from hubload.reports import RowReport, neutralise
from hubload.staging import StagedChunk

Row = tuple[int, list[str], list[str]]
"""A report's row: the source line, the original cells, and what is said of it."""


def in_line_order(
    chunks: list[StagedChunk], rows_of: Callable[[StagedChunk], Iterator[Row]]
) -> Iterator[Row]:
    """The chunks' report rows in the order of their lines: chunks are in file order, and the
    healing chunks (which hold rows of several) are merged in by line."""
    late = sorted(
        (row for c in chunks if c.number >= HEAL_BASE for row in rows_of(c)), key=lambda r: r[0]
    )
    pending = iter(late)
    waiting = next(pending, None)
    for chunk in (c for c in chunks if c.number < HEAL_BASE):
        for row in rows_of(chunk):
            while waiting is not None and waiting[0] < row[0]:
                yield waiting
                waiting = next(pending, None)
            yield row
    while waiting is not None:
        yield waiting
        waiting = next(pending, None)


def write_failed_report(
    path: Path,
    source_header: list[str],
    chunks: list[StagedChunk],
    outcomes: dict[int, ChunkOutcome],
) -> int:
    """Write failed.csv: each failed row's source line, original cells and the target's error,
    in the order of the lines.

    Returns the number of rows written.
    """

    def failed(chunk: StagedChunk) -> Iterator[Row]:
        outcome = outcomes.get(chunk.number)
        if outcome is None or outcome.failed == 0:
            return
        if outcome.all_failed_reason is not None:
            wanted = dict.fromkeys(range(1, chunk.rows + 1), outcome.all_failed_reason)
        else:
            wanted = {f.record_number: f.error for f in outcome.failed_rows if f.record_number}
        for position, line, cells in sidecar_rows(chunk):
            if position in wanted:
                yield line, cells, [wanted[position]]

    with RowReport(path, source_header, "error") as report:
        for line, cells, (error,) in in_line_order(chunks, failed):
            report.add(line, cells, error)
        return report.count


def write_success_report(
    path: Path,
    source_header: list[str],
    chunks: list[StagedChunk],
    outcomes: dict[int, ChunkOutcome],
) -> int:
    """Write success.csv: ``line``, ``id`` (the record id), ``created`` (true when created,
    false when updated), then the row's original cells, in the order of the lines; for targets
    that give record ids. Each chunk's rows were written as its job ended (``job_results``):
    they are joined here, byte for byte unless healing chunks have rows to merge in by line.

    Returns the number of rows written.
    """
    parts = [
        (chunk, outcome)
        for chunk in chunks
        if (outcome := outcomes.get(chunk.number)) is not None and outcome.successes is not None
    ]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["line", "id", "created", *map(neutralise, source_header)])
        if all(chunk.number < HEAL_BASE for chunk, _ in parts):
            for _, outcome in parts:  # chunks in file order, each in its lines' order
                assert outcome.successes is not None
                with outcome.successes.open(encoding="utf-8", newline="") as rows:
                    shutil.copyfileobj(rows, stream)
            return sum(outcome.succeeded for _, outcome in parts)
        done = {chunk.number: outcome for chunk, outcome in parts}

        def loaded(chunk: StagedChunk) -> Iterator[Row]:
            outcome = done.get(chunk.number)
            if outcome is None or outcome.successes is None:
                return
            with outcome.successes.open(encoding="utf-8", newline="") as rows:
                for row in csv.reader(rows):
                    yield int(row[0]), row, []

        count = 0
        for _, row, _ in in_line_order(chunks, loaded):
            writer.writerow(row)
            count += 1
        return count


def renumber(path: Path, lineage: dict[int, int]) -> None:
    """Give a report's rows the lines of the original file (a reprocess run's input has its
    own): ``lineage`` maps the input's lines to the original's."""
    if not lineage or not path.exists():
        return
    renumbered = path.with_suffix(".renumbered")
    with (
        path.open(encoding="utf-8", newline="") as source,
        renumbered.open("w", encoding="utf-8", newline="") as target,
    ):
        reader, writer = csv.reader(source), csv.writer(target)
        writer.writerow(next(reader, []))
        for row in reader:
            line = int(row[0])
            writer.writerow([lineage.get(line, line), *row[1:]])
    renumbered.replace(path)
