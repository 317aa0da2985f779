"""Reading a user's CSV file: dialect detection, header checks, and streaming in chunks.

Every cell stays text; rows keep the number of the source line they start on; a row with the
wrong number of fields is set aside as malformed (never padded, cut or shifted). Whatever makes
the file unreadable as a whole raises ``InputFileError`` with a one-line message and its line;
a bad ``--encoding`` or ``--delimiter`` raises ``ConfigError``.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubload.csvbytes import Utf8Blocks, open_regular, text_encoding
from hubload.csvchunks import MalformedRow, Parser, RawChunk, chunk_records
from hubload.csvscan import FIELD_LIMIT, Records, RecordScanner
from hubload.errors import ConfigError, InputFileError

__all__ = [
    "DELIMITERS",
    "CsvSource",
    "Dialect",
    "MalformedRow",
    "Parser",
    "RawChunk",
    "detect_dialect",
]

DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_BYTES = 1 << 16
_SAMPLE_ROWS = 50
_NOT_DELIMITERS = ('"', "\r", "\n", "\x00")

csv.field_size_limit(FIELD_LIMIT)


@dataclass(frozen=True)
class Dialect:
    """How the file is encoded and split."""

    delimiter: str
    encoding: str


def detect_dialect(
    path: Path, *, delimiter: str | None = None, encoding: str | None = None
) -> Dialect:
    """Choose the encoding (UTF-8 with or without BOM, UTF-16 by BOM, or the given one) and the
    delimiter (the given one, else the one among comma, tab, semicolon and pipe that splits the
    first rows most consistently).

    Raises:
        ConfigError: the given encoding is unknown or not a text encoding (``rot13``, ``hex``),
            or the given delimiter is not one character or is a quote, a line end or NUL.
        InputFileError: missing, empty, not a regular file (a FIFO, a directory, a device),
            binary, or undecodable at its start.
    """
    if encoding is not None:
        encoding = checked_encoding(encoding)
    if delimiter is not None and (len(delimiter) != 1 or delimiter in _NOT_DELIMITERS):
        raise ConfigError(
            f"the delimiter must be one character other than a quote, a line end or NUL, "
            f"got {delimiter!r}"
        )
    with open_regular(path) as stream:
        try:
            head = stream.read(_SAMPLE_BYTES)
        except OSError as exc:
            raise InputFileError(
                f"{path}: cannot read: {exc.strerror or exc}", path=str(path)
            ) from exc
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputFileError(f"{path}: the file is empty", path=str(path))
    chosen = encoding or _encoding_from_bom(head)
    if b"\x00" in head and not chosen.startswith("utf-16"):
        raise InputFileError(f"{path}: binary file (NUL bytes), not a CSV", path=str(path))
    try:
        text = codecs.getincrementaldecoder(chosen)(errors="strict").decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = _line_of(head, exc.start, chosen)
        raise InputFileError(
            f"{path}: line {line}: not valid {chosen} text; give the file's encoding "
            "(for example --encoding cp1252)",
            path=str(path),
            line=line,
        ) from exc
    if delimiter is not None:
        return Dialect(delimiter=delimiter, encoding=chosen)
    return Dialect(delimiter=_sniff_delimiter(text.lstrip("\ufeff")), encoding=chosen)


def _line_of(head: bytes, position: int, encoding: str) -> int:
    """The line of byte ``position``, counted as the reader counts lines."""
    text = head[:position].decode(encoding, errors="replace")
    return 1 + text.count("\n") + text.count("\r") - text.count("\r\n")


def checked_encoding(name: str) -> str:
    """The canonical name of a text encoding.

    Raises:
        ConfigError: unknown, or not a text encoding (``rot13``, ``hex``, ``base64``, ``zlib``).
    """
    try:
        return text_encoding(name)
    except LookupError as exc:
        raise ConfigError(
            f"unknown encoding {name!r}: give a text encoding such as utf-8, cp1252 or latin-1"
        ) from exc
    except ValueError as exc:
        raise ConfigError(
            f"{name!r} is not a text encoding (it turns bytes into bytes): give the file's "
            "character set, such as utf-8, cp1252 or latin-1"
        ) from exc


def _open_blocks(path: Path, encoding: str) -> Utf8Blocks:
    return Utf8Blocks(path, checked_encoding(encoding))


def _encoding_from_bom(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _sniff_delimiter(text: str) -> str:
    # Drop a last line that the sample may have cut in two.
    sample = text if len(text) < _SAMPLE_BYTES // 2 else text[: text.rfind("\n") + 1] or text
    best, best_score = ",", (0.0, 1)
    for candidate in DELIMITERS:
        rows = _parse_sample(sample, candidate)
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(len(r) == width for r in body) / len(body)
        score = (consistent, width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _parse_sample(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        return [r for r in itertools.islice(reader, _SAMPLE_ROWS) if r]
    except csv.Error:
        return []


class CsvSource:
    """A CSV file opened for one streaming pass: ``header`` first, then ``chunks()``.

    ``start_row`` data rows are skipped first (Data Loader's ``process.loadRowToStartAt``: rows
    a run before loaded), counted in ``skipped``; a row is a record, well formed or not, blank
    lines aside. Use as a context manager; the file is closed on exit.

    Raises (on creation):
        ValueError: ``start_row`` below 0.
    """

    def __init__(self, path: Path, dialect: Dialect, *, start_row: int = 0) -> None:
        if start_row < 0:
            raise ValueError("start_row must be >= 0")
        self.path = path
        self.dialect = dialect
        self.start_row = start_row
        self.skipped = 0
        """Rows skipped so far (``start_row`` once the rows after it are read)."""
        self.last_skipped_line: int | None = None
        """The line of the last row skipped."""
        self.blank_lines = 0
        self._blocks = _open_blocks(path, dialect.encoding)
        self._scanner = RecordScanner(self._blocks, dialect.delimiter, str(path), fields=True)
        self._batches = iter(self._scanner)
        self._rest: Records | None = None
        try:
            self.header = self._read_header()
        except BaseException:
            self._blocks.close()
            raise

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._blocks.close()

    def _fail(self, line: int, what: str) -> InputFileError:
        return InputFileError(f"{self.path}: line {line}: {what}", path=str(self.path), line=line)

    def _read_header(self) -> list[str]:
        for batch in self._batches:
            named = np.flatnonzero(~batch.blank)
            if named.size:
                first = int(named[0])
                self._rest = batch.part(first + 1, len(batch))
                line = int(batch.lines[first])
                record = batch.buf[batch.starts[first] : batch.ends[first]]
                return self._check_header(line, _parse_record(record, self.dialect.delimiter))
        raise InputFileError(f"{self.path}: the file is empty", path=str(self.path))

    def _check_header(self, line: int, cells: list[str]) -> list[str]:
        header = [name.strip() for name in cells]
        blank = [i + 1 for i, name in enumerate(header) if not name]
        if blank:
            raise self._fail(line, f"header has blank column name(s) at position(s) {blank}")
        if _looks_like_data(header):
            raise self._fail(
                line,
                f"the first line looks like data ({', '.join(header[:3])}, ...), not a header: "
                "the file needs a header row naming its columns",
            )
        dupes = sorted(name for name, count in Counter(header).items() if count > 1)
        if dupes:
            raise self._fail(line, f"header repeats column name(s) {', '.join(dupes)}")
        return header

    def _records(self) -> Iterator[Records]:
        if self._rest is not None and len(self._rest):
            yield from self._after_start(self._rest)
        self._rest = None
        for batch in self._batches:
            yield from self._after_start(batch)

    def _after_start(self, batch: Records) -> Iterator[Records]:
        """``batch`` without the rows before ``start_row`` (their blank lines counted)."""
        todo = self.start_row - self.skipped
        if todo <= 0:
            yield batch
            return
        rows = np.cumsum(~batch.blank)
        if not rows.size or int(rows[-1]) < todo:
            self.skipped += int(rows[-1]) if rows.size else 0
            self.blank_lines += int(batch.blank.sum())
            if rows.size and rows[-1]:
                self.last_skipped_line = int(batch.lines[~batch.blank][-1])
            return
        cut = int(np.searchsorted(rows, todo)) + 1  # just after the last row to skip
        self.skipped += todo
        self.blank_lines += int(batch.blank[:cut].sum())
        self.last_skipped_line = int(batch.lines[cut - 1])
        if cut < len(batch):
            yield batch.part(cut, len(batch))

    def record_lines(self) -> list[int]:
        """The source line each record (well formed or not) starts on, in file order, after
        ``start_row``.

        Raises:
            InputFileError: undecodable text or broken quoting.
        """
        return [line for batch in self._records() for line in batch.lines[~batch.blank].tolist()]

    def chunks(self, chunk_size: int) -> Iterator[RawChunk]:
        """Yield the data rows after ``start_row`` in chunks of at most ``chunk_size`` rows
        (blank lines are no row: they are counted in ``blank_lines``).

        Raises:
            InputFileError: undecodable text or broken quoting, at the line where it is met.
        """
        width = len(self.header)
        for chunk in chunk_records(self._records(), width, self.dialect.delimiter, chunk_size):
            self.blank_lines += chunk.blank_lines
            if chunk.size:
                yield chunk


def _looks_like_data(header: list[str]) -> bool:
    numeric = all(name.replace(".", "", 1).lstrip("+-").isdigit() for name in header)
    return numeric or any("@" in name for name in header)


def _parse_record(record: bytes, delimiter: str) -> list[str]:
    text = io.StringIO(record.decode("utf-8"), newline="")
    return next(csv.reader(text, delimiter=delimiter, strict=True), [])
