"""Staging one chunk of rows: map its columns, cut over-long text where the load asks for it,
validate them, report the rejected rows (in the order of their lines), and write the valid ones
as uploads of at most ``max_bytes`` (empty cells as ``#N/A`` where they clear fields), with the
cut values reported in truncated.csv."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow

from hubload.chunkfiles import StagedChunk, stage_rows
from hubload.csvfile import CsvSource, RawChunk
from hubload.errors import InputFileError
from hubload.reports import RowReport
from hubload.truncated import TruncatedReport
from schemas.mapping import ResolvedMapping
from schemas.transforms import TEXT, apply_mapping
from schemas.truncation import Cut, cut_long_text
from schemas.validation import ChunkValidationError, ChunkValidator
from schemas.values import with_null_marker

MALFORMED = "MALFORMED_ROW"
TOO_LARGE = "ROW_TOO_LARGE"


@dataclass
class Tally:
    """The running count of a preparation; complete once the last chunk is staged."""

    read: int = 0
    """Rows read after the start row (each ends rejected or staged)."""
    rejected: int = 0
    staged_rows: int = 0
    skipped: int = 0
    """Rows before the start row: not read for the load, not in ``read``."""
    truncated: int = 0
    """Staged rows with a value cut to its field's length."""
    staged_chunks: int = 0
    blank_lines: int = 0
    total_rows: int | None = None
    """The rows to read (the file's data rows after the start row), counted by the pre-pass
    (for a progress bar)."""
    reasons: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each step: prepass, read, map, validate, stage."""
    finished: bool = False

    def snapshot(self) -> Tally:
        """A copy, safe to read from another thread while the preparation goes on."""
        return replace(self, reasons=Counter(self.reasons), timings=dict(self.timings))

    def add_time(self, step: str, started: float) -> float:
        """Add the seconds since ``started`` (``time.perf_counter()``) to ``step``; return now."""
        now = time.perf_counter()
        self.timings[step] = self.timings.get(step, 0.0) + now - started
        return now


Rejected = tuple[int, list[str], str]
"""A rejected row: its source line, its original cells, the reason."""


class Stager:
    """Maps, validates and stages the chunks of one file, one after the other.

    Raises (on creation):
        MappingError: a check of the mapping that cannot run (a pattern RE2 refuses).
    """

    def __init__(
        self,
        source: CsvSource,
        mapping: ResolvedMapping,
        chunk_dir: Path,
        rejected: RowReport,
        truncated: TruncatedReport | None = None,
    ) -> None:
        self.source = source
        self.mapping = mapping
        self.validator = ChunkValidator(mapping)
        self.chunk_dir = chunk_dir
        self.rejected = rejected
        self.truncated = truncated
        self._index = {name: i for i, name in enumerate(source.header)}

    def stage(self, raw: RawChunk, number: int, max_bytes: int, tally: Tally) -> list[StagedChunk]:
        """Account for every row of ``raw`` (rejected, or staged in chunks numbered from
        ``number``) in ``tally``.

        Raises:
            InputFileError: the chunk failed validation as a whole.
        """
        tally.read += raw.size
        rejected: list[Rejected] = [(m.line, m.values, m.reason) for m in raw.malformed]
        if raw.malformed:
            tally.reasons[MALFORMED] += len(raw.malformed)
        staged: list[StagedChunk] = []
        if raw.table.num_rows:
            staged = self._stage_rows(raw, number, max_bytes, tally, rejected)
        rejected.sort(key=lambda r: r[0])
        delimiter = self.source.dialect.delimiter
        for line, cells, reason in rejected:
            self.rejected.add(line, cells, reason, delimiter)
        tally.rejected += len(rejected)
        tally.staged_rows += sum(c.rows for c in staged)
        return staged

    def _stage_rows(
        self, raw: RawChunk, number: int, max_bytes: int, tally: Tally, rejected: list[Rejected]
    ) -> list[StagedChunk]:
        started = time.perf_counter()
        table = raw.table
        frame = pd.DataFrame(
            {
                name: pd.Series(table.column(self._index[name]), dtype=TEXT)
                for name in self.mapping.columns_used
            },
            index=pd.RangeIndex(table.num_rows),
        )
        mapped, cuts = cut_long_text(apply_mapping(self.mapping, frame), self.mapping)
        started = tally.add_time("map", started)
        try:
            split = self.validator.split(mapped)
        except ChunkValidationError as exc:
            path = self.source.path
            raise InputFileError(
                f"{path}: rows from line {raw.lines[0]}: {exc}", path=str(path)
            ) from exc
        if split.reasons:
            positions = list(split.reasons)
            cells = _rows(table.take(pyarrow.array(positions)))
            for position, row in zip(positions, cells, strict=True):
                reasons = split.reasons[position]
                rejected.append((int(raw.lines[position]), row, "; ".join(r.text for r in reasons)))
                tally.reasons.update({r.label for r in reasons})
        started = tally.add_time("validate", started)
        staged: list[StagedChunk] = []
        if split.valid.any():
            keep = pyarrow.array(split.valid)
            upload = pyarrow.Table.from_pandas(mapped, preserve_index=False).filter(keep)
            if self.mapping.options.clear_empty:
                upload = with_null_marker(upload)
            lines = pyarrow.array(np.asarray(raw.lines, dtype=np.int64))
            sidecar = table.add_column(0, "line", lines).filter(keep)
            staged, too_large = stage_rows(number, upload, sidecar, self.chunk_dir, max_bytes)
            reason = f"{TOO_LARGE}: this row alone makes an upload of more than {max_bytes} bytes"
            for row in _rows(too_large):
                rejected.append((int(row[0]), row[1:], reason))
            if too_large.num_rows:
                tally.reasons[TOO_LARGE] += too_large.num_rows
            if cuts:
                lost = set(too_large.column(0).to_pylist()) if too_large.num_rows else set()
                tally.truncated += self._report_cuts(cuts, split.valid, raw.lines, lost)
        tally.add_time("stage", started)
        return staged

    def _report_cuts(
        self, cuts: list[Cut], valid: np.ndarray, lines: np.ndarray, lost: set[int]
    ) -> int:
        """Report the cut values of the rows staged (a rejected row loads nothing); returns how
        many rows had one."""
        by_line: dict[int, list[tuple[str, str, int, str]]] = {}
        for cut in cuts:
            for position, original in zip(cut.positions.tolist(), cut.originals, strict=True):
                line = int(lines[position])
                if valid[position] and line not in lost:
                    by_line.setdefault(line, []).append(
                        (cut.field, cut.source, cut.length, original)
                    )
        if self.truncated is not None:
            for line in sorted(by_line):
                self.truncated.add(line, by_line[line])
        return len(by_line)


def _rows(table: pyarrow.Table) -> list[list[str]]:
    columns = [column.to_pylist() for column in table.columns]
    return [list(map(str, row)) for row in zip(*columns, strict=True)]
