"""Chunks of a CSV file's rows as Arrow columns: well-formed stretches parsed by pyarrow, rows
with the wrong number of fields set aside, every row with the source line it starts on.

The scanner (``hubload.csvscan``) has already found each record's bytes, first line and field
count, by Python's ``csv`` rules. The well-formed records of a chunk are joined (the malformed
ones and blank lines cut out) and parsed in one call of pyarrow's CSV reader, which builds the
columns in C: no row of Python objects, no transpose. Python's ``csv`` parses only what must
be: the malformed rows (to report their cells), and a chunk that pyarrow cannot take (a
delimiter of more than one byte) or whose row count disagrees with the scan's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pyarrow
import pyarrow.csv as pa_csv

from hubload.csvscan import Ints, Records

TEXT = pyarrow.large_string()


class Parser(StrEnum):
    """Which parser built a chunk's columns."""

    ARROW = "arrow"
    CSV = "csv"


@dataclass(frozen=True)
class MalformedRow:
    """A row whose field count differs from the header's."""

    line: int
    end_line: int
    values: list[str]
    expected: int

    @property
    def reason(self) -> str:
        """The one-line reason given in the rejected-rows report."""
        span = (
            f" (lines {self.line}-{self.end_line}: look for an unbalanced quote)"
            if (self.end_line > self.line)
            else ""
        )
        return (
            f"MALFORMED_ROW: {len(self.values)} field(s) where the header has {self.expected}{span}"
        )


@dataclass
class RawChunk:
    """Consecutive rows of the file: the well-formed rows as text columns ``c0``, ``c1``... with
    their source lines, and the malformed rows."""

    number: int
    lines: Ints
    table: pyarrow.Table
    malformed: list[MalformedRow] = field(default_factory=list)
    blank_lines: int = 0
    parser: Parser = Parser.ARROW

    @property
    def size(self) -> int:
        """Rows read in this chunk, well-formed or not."""
        return int(self.table.num_rows) + len(self.malformed)

    @property
    def rows(self) -> list[list[str]]:
        """The well-formed rows as lists of cells (slow: for tests and small reports)."""
        columns = [column.to_pylist() for column in self.table.columns]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []


def column_names(width: int) -> list[str]:
    """The chunk table's column names: ``c0``, ``c1``..."""
    return [f"c{i}" for i in range(width)]


def chunk_records(
    batches: Iterable[Records], width: int, delimiter: str, chunk_size: int
) -> Iterator[RawChunk]:
    """Group records into chunks of ``chunk_size`` rows (blank lines are no row) and parse them.

    A chunk that holds only blank lines is yielded too (its size is 0), so that they are
    counted.

    Raises:
        ValueError: ``chunk_size`` is below 1.
        InputFileError: from the scanner, at the line of the first problem met.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    pending: list[Records] = []
    count = 0  # rows in ``pending``
    number = 0
    for batch in batches:
        rows = np.cumsum(~batch.blank)  # rows up to and including each record
        start, done = 0, 0
        while rows.size and int(rows[-1]) >= done + chunk_size - count:
            done += chunk_size - count
            cut = int(np.searchsorted(rows, done)) + 1
            pending.append(batch.part(start, cut))
            number += 1
            yield _parse(number, pending, width, delimiter)
            pending, count, start = [], 0, cut
        if start < len(batch):
            pending.append(batch.part(start, len(batch)))
            count += int(rows[-1]) - done
    if pending:
        yield _parse(number + 1, pending, width, delimiter)


def _parse(number: int, batches: list[Records], width: int, delimiter: str) -> RawChunk:
    pieces: list[memoryview] = []
    lines: list[Ints] = []
    malformed: list[MalformedRow] = []
    blank = 0
    longest = 0
    for batch in batches:
        if batch.fields is None:
            raise ValueError("records scanned without their field counts")
        blanks = batch.blank
        blank += int(blanks.sum())
        good = batch.fields == width
        for i in np.flatnonzero(~good & ~blanks).tolist():
            start, end = int(batch.lines[i]), int(batch.lines[i] + batch.spans[i] - 1)
            cells = _cells(batch.buf[batch.starts[i] : batch.ends[i]], delimiter)
            malformed.append(MalformedRow(start, end, cells, width))
        kept = np.flatnonzero(good)
        if not kept.size:
            continue
        lines.append(batch.lines[kept])
        longest = max(longest, int((batch.nexts[kept] - batch.starts[kept]).max()))
        # Consecutive well-formed records are one slice of the buffer.
        gaps = np.flatnonzero(np.diff(kept) != 1)
        firsts = kept[np.concatenate(([0], gaps + 1))]
        lasts = kept[np.concatenate((gaps, [kept.size - 1]))]
        view = memoryview(batch.buf)
        pieces += [
            view[batch.starts[f] : batch.nexts[t]] for f, t in zip(firsts, lasts, strict=True)
        ]
    found = np.concatenate(lines) if lines else np.empty(0, dtype=np.int64)
    data = b"".join(pieces)
    table, parser = _columns(data, width, delimiter, int(found.size), longest)
    return RawChunk(number, found, table, malformed, blank, parser)


def _columns(
    data: bytes, width: int, delimiter: str, expected: int, longest: int
) -> tuple[pyarrow.Table, Parser]:
    names = column_names(width)
    if len(delimiter.encode("utf-8")) == 1 and expected:
        try:
            table = pa_csv.read_csv(
                pyarrow.py_buffer(data),
                read_options=pa_csv.ReadOptions(
                    column_names=names,
                    use_threads=False,
                    block_size=max(len(data), longest, 1 << 16) + 1,
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=delimiter,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, TEXT),
                    null_values=[],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pyarrow.ArrowInvalid:
            pass
        else:
            if table.num_rows == expected:
                return table, Parser.ARROW
    text = io.StringIO(data.decode("utf-8"), newline="")
    rows = list(csv.reader(text, delimiter=delimiter, strict=True))
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    arrays = [pyarrow.array(column, TEXT) for column in columns]
    return pyarrow.Table.from_arrays(arrays, names=names), Parser.CSV


def _cells(record: bytes, delimiter: str) -> list[str]:
    text = record.decode("utf-8")
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
