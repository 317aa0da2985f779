"""A finished job's rows tied back to the chunk's rows: by the position the target gives, else by
content (a target need not keep the upload's order), never by the order of its answer."""

from __future__ import annotations

import csv
import operator
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from hubload.chunkfiles import sidecar_rows
from hubload.jobs import JobStatus
from hubload.outcomes import (
    ERRORS_UNMATCHED,
    NOT_REPORTED,
    ChunkOutcome,
    FailedRow,
    chunk_failed,
)
from hubload.records import RecordError, RecordSuccess
from hubload.reports import neutralise
from hubload.staging import StagedChunk
from hubload.targets.base import Target


class RowMatcher:
    """The chunk's rows by their uploaded cells: each result takes the first free position with
    the same cells (identical rows are interchangeable: any of them is the same record). The
    chunk is read only when a result has to be placed by its cells."""

    def __init__(self, chunk: StagedChunk) -> None:
        self._path = chunk.path
        self._claimed: set[int] = set()
        self._free: dict[tuple[str, ...], list[int]] | None = None
        self.header: list[str] = []
        self._cells: Callable[[Mapping[str, str]], tuple[str, ...]] | None = None

    def _load(self) -> dict[tuple[str, ...], list[int]]:
        if self._free is None:
            free: dict[tuple[str, ...], list[int]] = {}
            with self._path.open(encoding="utf-8", newline="") as stream:
                reader = csv.reader(stream)
                self.header = next(reader, [])
                for position, row in enumerate(reader, start=1):
                    free.setdefault(tuple(row), []).append(position)
            for positions in free.values():
                positions.reverse()  # pop() hands them out first to last
            self._free = free
            self._cells = _cells_of(self.header)
        return self._free

    def claim(self, position: int) -> None:
        """A result placed ``position`` by number: no result may take it by its cells."""
        self._claimed.add(position)

    def take(self, record: Mapping[str, str]) -> int | None:
        """The position of a row with these cells not yet taken, or None."""
        if not record:
            return None
        rows = self._free if self._free is not None else self._load()
        assert self._cells is not None
        try:
            cells = self._cells(record)
        except KeyError:  # a result without some uploaded column: those cells are empty
            cells = tuple(record.get(name, "") for name in self.header)
        free = rows.get(cells)
        while free:
            position = free.pop()
            if position not in self._claimed:
                self._claimed.add(position)
                return position
        return None


def _cells_of(header: list[str]) -> Callable[[Mapping[str, str]], tuple[str, ...]]:
    """A record's cells in the header's order, as a tuple (``itemgetter`` gives a bare value
    for one name: wrapped)."""
    if not header:
        return lambda record: ()
    if len(header) == 1:
        (name,) = header
        return lambda record: (record[name],)
    return operator.itemgetter(*header)  # a tuple for 2+ names


def collect_outcome(
    target: Target, chunk: StagedChunk, status: JobStatus, *, successes: Path | None = None
) -> ChunkOutcome:
    """The outcome of a chunk whose job reached a terminal status.

    A target that lists its loaded rows (a success file) has every row accounted for by its
    answer: rows in neither list have an unknown fate. A target that lists only failures has a
    completed job's other rows loaded, and an ended-otherwise job's rows all failed. Results
    that match no row of the chunk make the whole chunk's fate unknown: never guessed.

    Raises:
        ApiError: the job's rows could not be read.
    """
    lists_successes = target.capabilities.success_ids
    if not status.succeeded and not lists_successes:
        detail = f": {status.message}" if status.message else ""
        return chunk_failed(
            chunk,
            f"JOB_{status.state.value}: bulk job {status.job_id} ended {status.raw_status}{detail}",
            job_id=status.job_id,
            status=status.raw_status,
        )
    matcher = RowMatcher(chunk)
    failed, orphans = _place_failures(target.failed_rows(status), chunk, matcher)
    loaded: dict[int, RecordSuccess] = {}
    if lists_successes:
        for success in target.successful_rows(status):
            position = matcher.take(success.record)
            if position is None:
                orphans.append(f"a loaded row ({success.record_id}) that matches no sent row")
            else:
                loaded[position] = success
    if orphans:
        return chunk_failed(
            chunk,
            f"{ERRORS_UNMATCHED}: bulk job {status.job_id} reported {len(orphans)} row(s) that "
            f"match no row of the chunk (e.g. {orphans[0]})",
            job_id=status.job_id,
            status=status.raw_status,
        )
    if lists_successes:
        silent = [p for p in range(1, chunk.rows + 1) if p not in loaded and p not in failed]
        for position in silent:
            failed[position] = (
                f"{NOT_REPORTED}: bulk job {status.job_id} ({status.raw_status}) reported "
                "neither a success nor a failure for this row"
            )
    if successes is not None and loaded:
        _write_successes(successes, chunk, loaded)
    return ChunkOutcome(
        chunk=chunk.number,
        rows=chunk.rows,
        job_id=status.job_id,
        status=status.raw_status,
        failed_rows=tuple(FailedRow(n, failed[n]) for n in sorted(failed)),
        count_mismatch=_count_mismatch(status, chunk.rows, len(failed)),
        successes=successes if loaded else None,
    )


def _place_failures(
    errors: Iterable[RecordError], chunk: StagedChunk, matcher: RowMatcher
) -> tuple[dict[int, str], list[str]]:
    """Failures by position (several errors of one row joined), and those that match no row."""
    by_number: dict[int, list[str]] = {}
    orphans: list[str] = []
    for error in errors:
        number = error.record_number
        if number is not None and 1 <= number <= chunk.rows:
            by_number.setdefault(number, []).append(error.text)
            matcher.claim(number)
            continue
        position = matcher.take(error.record)
        if position is None:
            orphans.append(error.text)
        else:
            by_number.setdefault(position, []).append(error.text)
    return {n: " | ".join(texts) for n, texts in by_number.items()}, orphans


def _write_successes(path: Path, chunk: StagedChunk, loaded: dict[int, RecordSuccess]) -> None:
    """The chunk's rows of success.csv, in its lines' order, without a header: the source line,
    the record id, whether it was created, the original cells (neutralised)."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        for position, line, cells in sidecar_rows(chunk):
            success = loaded.get(position)
            if success is not None:
                created = "" if success.created is None else str(success.created).lower()
                writer.writerow([line, success.record_id, created, *map(neutralise, cells)])


def _count_mismatch(status: JobStatus, sent: int, failed: int) -> str | None:
    if not status.succeeded:
        return None  # an ended-early job's counts are of what it processed
    problems = []
    if status.records_count is not None and status.records_count != sent:
        problems.append(f"the target counted {status.records_count} records, {sent} were sent")
    if status.failed_count is not None and status.failed_count != failed:
        problems.append(f"the target counted {status.failed_count} failures, {failed} were listed")
    return "; ".join(problems) or None
