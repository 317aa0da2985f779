"""Reading a user's CSV file: dialect detection, header checks, and streaming in chunks.

Every cell stays text; rows keep the number of the source line they start on; a row with the
wrong number of fields is set aside as malformed (never padded, cut or shifted). Whatever makes
the file unreadable as a whole raises ``InputFileError`` with a one-line message.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hubload.errors import InputFileError

DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_BYTES = 1 << 16
_SAMPLE_ROWS = 50
_FIELD_LIMIT = 1 << 24  # 16 MiB: a cell larger than this is a broken quote, not data

csv.field_size_limit(_FIELD_LIMIT)


@dataclass(frozen=True)
class Dialect:
    """How the file is encoded and split."""

    delimiter: str
    encoding: str


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
    """Consecutive rows of the file: well-formed rows with their source lines, and the others."""

    number: int
    lines: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    malformed: list[MalformedRow] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Rows read in this chunk, well-formed or not."""
        return len(self.rows) + len(self.malformed)


def detect_dialect(
    path: Path, *, delimiter: str | None = None, encoding: str | None = None
) -> Dialect:
    """Choose the encoding (UTF-8 with or without BOM, UTF-16 by BOM, or the given one) and the
    delimiter (the given one, else the one among comma, tab, semicolon and pipe that splits the
    first rows most consistently).

    Raises:
        InputFileError: missing, empty, binary or undecodable file.
    """
    try:
        with path.open("rb") as stream:
            head = stream.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot open: {exc.strerror or exc}", path=str(path)) from exc
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputFileError(f"{path}: the file is empty", path=str(path))
    chosen = encoding or _encoding_from_bom(head)
    if b"\x00" in head and not chosen.lower().startswith("utf-16"):
        raise InputFileError(f"{path}: binary file (NUL bytes), not a CSV", path=str(path))
    try:
        text = codecs.getincrementaldecoder(chosen)(errors="strict").decode(head, final=False)
    except LookupError as exc:
        raise InputFileError(f"unknown encoding {chosen!r}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not valid {chosen} near byte {exc.start}; give the file's encoding "
            "(for example --encoding cp1252)",
            path=str(path),
        ) from exc
    if delimiter is not None:
        if len(delimiter) != 1:
            raise InputFileError(f"the delimiter must be one character, got {delimiter!r}")
        return Dialect(delimiter=delimiter, encoding=chosen)
    return Dialect(delimiter=_sniff_delimiter(text.lstrip("\ufeff")), encoding=chosen)


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

    Use as a context manager; the file is closed on exit.
    """

    def __init__(self, path: Path, dialect: Dialect) -> None:
        self.path = path
        self.dialect = dialect
        self.blank_lines = 0
        try:
            self._stream = path.open(encoding=dialect.encoding, errors="strict", newline="")
        except OSError as exc:
            raise InputFileError(
                f"{path}: cannot open: {exc.strerror or exc}", path=str(path)
            ) from exc
        self._reader = csv.reader(self._stream, delimiter=dialect.delimiter, strict=True)
        try:
            self.header = self._read_header()
        except BaseException:
            self._stream.close()
            raise

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._stream.close()

    def _fail(self, what: str) -> InputFileError:
        line = self._reader.line_num
        return InputFileError(f"{self.path}: line {line}: {what}", path=str(self.path), line=line)

    def _next_rows(self, count: int) -> list[list[str]]:
        try:
            return list(itertools.islice(self._reader, count))
        except UnicodeDecodeError as exc:
            raise self._fail(
                f"not valid {self.dialect.encoding} text; give the file's encoding "
                "(for example --encoding cp1252)"
            ) from exc
        except csv.Error as exc:
            raise self._fail(f"unreadable CSV ({exc}); check the quoting on this line") from exc

    def _read_header(self) -> list[str]:
        while True:
            rows = self._next_rows(1)
            if not rows:
                raise InputFileError(f"{self.path}: the file is empty", path=str(self.path))
            if rows[0]:
                break
        header = [name.strip() for name in rows[0]]
        self._header_end = self._reader.line_num
        blank = [i + 1 for i, name in enumerate(header) if not name]
        if blank:
            raise self._fail(f"header has blank column name(s) at position(s) {blank}")
        if _looks_like_data(header):
            raise self._fail(
                f"the first line looks like data ({', '.join(header[:3])}, ...), not a header: "
                "the file needs a header row naming its columns"
            )
        dupes = sorted(name for name, count in Counter(header).items() if count > 1)
        if dupes:
            raise self._fail(f"header repeats column name(s) {', '.join(dupes)}")
        return header

    def record_lines(self) -> list[int]:
        """The source line each record (well formed or not) starts on, in file order.

        Raises:
            InputFileError: undecodable text or broken quoting.
        """
        starts: list[int] = []
        consumed = self._header_end
        while rows := self._next_rows(10_000):
            for row, (start, _) in zip(
                rows, _start_lines(rows, consumed, self._reader.line_num), strict=True
            ):
                if row:
                    starts.append(start)
            consumed = self._reader.line_num
        return starts

    def chunks(self, chunk_size: int) -> Iterator[RawChunk]:
        """Yield the data rows in chunks of at most ``chunk_size`` rows.

        Raises:
            InputFileError: undecodable text or broken quoting, at the line where it is met.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        width = len(self.header)
        consumed = self._header_end
        for number in itertools.count(1):
            rows = self._next_rows(chunk_size)
            if not rows:
                return
            end = self._reader.line_num
            if end - consumed == len(rows) and all(len(row) == width for row in rows):
                # The usual chunk: one line per row, every row well formed.
                yield RawChunk(number=number, lines=list(range(consumed + 1, end + 1)), rows=rows)
                consumed = end
                continue
            chunk = RawChunk(number=number)
            starts = _start_lines(rows, consumed, end)
            for row, (start, last) in zip(rows, starts, strict=True):
                if not row:
                    self.blank_lines += 1
                elif len(row) == width:
                    chunk.lines.append(start)
                    chunk.rows.append(row)
                else:
                    chunk.malformed.append(MalformedRow(start, last, row, width))
            consumed = end
            if chunk.size:
                yield chunk


def _looks_like_data(header: list[str]) -> bool:
    numeric = all(name.replace(".", "", 1).lstrip("+-").isdigit() for name in header)
    return numeric or any("@" in name for name in header)


def _start_lines(rows: list[list[str]], consumed: int, end: int) -> list[tuple[int, int]]:
    """First and last source line of each row, given the lines consumed before and after them."""
    if end - consumed == len(rows):  # the usual case: one line per row
        return [(consumed + i + 1, consumed + i + 1) for i in range(len(rows))]
    spans = []
    line = consumed
    for row in rows:
        breaks = sum(v.count("\n") + v.count("\r") - v.count("\r\n") for v in row)
        spans.append((line + 1, line + 1 + breaks))
        line += 1 + breaks
    return spans
