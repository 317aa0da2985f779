"""Finding the records of CSV text (UTF-8 bytes) with numpy, by the rules of Python's ``csv``.

The rules are those of ``csv.reader(..., strict=True)`` with the default quoting: a record ends
at ``\\n``, ``\\r\\n`` or ``\\r`` outside quotes; a quote opens a quoted field only at the start
of a field (elsewhere it is a plain character); inside one, ``""`` is a quote; the closing quote
must be followed by the delimiter, a line end or the end of the file. A blank line is a record
with no field. Each line end counts one line, as ``csv.reader.line_num`` does.

The scan is vectorised: quote runs are classified by the parity of the quotes before them (a
Python loop runs only over the quote runs of a block that holds a quote inside an unquoted
field, such as ``5" screen``), and a line end or delimiter is structural when an even number of
quotes precede it. ``RecordScanner`` feeds blocks through ``scan`` with the unfinished record
carried over, and turns problems into ``InputFileError`` naming the exact line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hubload.csvbytes import BadBytes
from hubload.errors import InputFileError

LF, CR, QUOTE = 10, 13, 34
FIELD_LIMIT = 1 << 24  # 16 MiB: a record larger than this is a broken quote, not data
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Octets = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Records:
    """Consecutive complete records of ``buf``: byte offsets, first line, lines spanned, fields."""

    buf: bytes
    starts: Ints
    ends: Ints
    """Where each record's content ends (its line end excluded)."""
    nexts: Ints
    """Where the next record starts (its line end included)."""
    lines: Ints
    spans: Ints
    """How many lines each record covers (more than one when a quoted field holds a line end)."""
    fields: Ints | None

    def __len__(self) -> int:
        return int(self.starts.size)

    @property
    def blank(self) -> Mask:
        """Which records are blank lines."""
        blank: Mask = self.starts == self.ends
        return blank

    def part(self, low: int, high: int) -> Records:
        """Records ``low`` to ``high`` (excluded)."""
        cut = slice(low, high)
        fields = None if self.fields is None else self.fields[cut]
        return Records(
            self.buf,
            self.starts[cut],
            self.ends[cut],
            self.nexts[cut],
            self.lines[cut],
            self.spans[cut],
            fields,
        )


@dataclass(frozen=True)
class Scan:
    """What ``scan`` found in one buffer."""

    records: Records
    consumed: int
    """Bytes taken by the complete records: the rest waits for more data."""
    lines_consumed: int
    breaks: Ints
    """Every line end's position (inside quotes or not), to name the line of a position."""
    error: tuple[int, str] | None
    """The first quoting error: its position and what is wrong."""
    open_quote: int | None
    """Where the quoted field still open at the end of the buffer opened."""

    def line_at(self, first_line: int, position: int) -> int:
        """The line of byte ``position``, the buffer's first line being ``first_line``."""
        return first_line + int(np.searchsorted(self.breaks, position))


def scan(buf: bytes, delimiter: bytes, *, final: bool, first_line: int, fields: bool) -> Scan:
    """Find the complete records of ``buf``, which starts at a record's start; with ``final``,
    the buffer ends the file (a last record without a line end is complete)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    n = a.size
    # A \r at the very end may be the first half of a \r\n: it waits for the next block.
    limit = n - 1 if (not final and n and buf[-1] == CR) else n
    view = a[:limit]
    breaks = np.flatnonzero(view == LF)
    has_cr = buf.find(b"\r", 0, limit) >= 0
    if has_cr:
        cr = np.flatnonzero(view == CR)
        after = cr + 1
        paired = after < n
        paired[paired] = a[after[paired]] == LF
        if not paired.all():  # lone \r line ends (old Mac files, or mixed)
            breaks = np.sort(np.concatenate((breaks, cr[~paired])))
    error, open_quote = None, None
    quotes: Ints | None = None
    if buf.find(b'"', 0, limit) >= 0:
        quotes, error, open_quote = _structural_quotes(a, view, delimiter, final)
        outside = (np.searchsorted(quotes, breaks) & 1) == 0
        record_breaks = np.flatnonzero(outside)
    else:
        record_breaks = np.arange(breaks.size)
    ends_at = breaks[record_breaks]
    nexts = ends_at + 1
    ends = ends_at
    if has_cr and ends_at.size:
        crlf = (a[ends_at] == LF) & (ends_at > 0) & (a[np.maximum(ends_at - 1, 0)] == CR)
        ends = ends_at - crlf
    used = int(record_breaks[-1]) + 1 if record_breaks.size else 0
    spans = np.diff(record_breaks, prepend=-1)
    line_offsets = np.concatenate(([0], record_breaks[:-1] + 1)) if record_breaks.size else spans
    consumed = int(nexts[-1]) if nexts.size else 0
    if final and consumed < n and open_quote is None:  # a last record without a line end
        ends = np.append(ends, n)
        nexts = np.append(nexts, n)
        spans = np.append(spans, breaks.size - used + 1)
        line_offsets = np.append(line_offsets, used)
        consumed, used = n, int(breaks.size)
    starts = np.concatenate(([0], nexts[:-1])) if nexts.size else nexts
    counts = _field_counts(view, delimiter, quotes, starts, ends) if fields else None
    records = Records(buf, starts, ends, nexts, line_offsets + first_line, spans, counts)
    return Scan(records, consumed, used, breaks, error, open_quote)


def _structural_quotes(
    a: Octets, view: Octets, delimiter: bytes, final: bool
) -> tuple[Ints, tuple[int, str] | None, int | None]:
    """The quotes that open, escape or close quoted fields (not those inside unquoted fields);
    the first closing quote followed by something else than a delimiter or a line end; and the
    opening quote of a field still open at the end."""
    quotes = np.flatnonzero(view == QUOTE)
    if len(delimiter) == 1:
        found = _quotes_by_parity(a, quotes, delimiter, final)
        if found is not None:
            return found
    return _quotes_by_runs(a, quotes, delimiter, final)


def _quotes_by_parity(
    a: Octets, quotes: Ints, delimiter: bytes, final: bool
) -> tuple[Ints, tuple[int, str] | None, int | None] | None:
    """The usual case, one quote at a time: a quote with an even number of quotes before it
    opens a field (after a separator) or continues a ``""``; one with an odd number closes
    the field (before a separator) or starts a ``""``. None when a quote sits inside an
    unquoted field: the runs must then be walked."""
    table = _field_edges(delimiter[0])
    evens, odds = quotes[0::2], quotes[1::2]
    opens = table[a[np.maximum(evens - 1, 0)]] | (evens == 0)
    if not opens.all():
        return None
    after = odds + 1
    checked = after < a.size
    bad = after[checked][~table[a[after[checked]]]]
    if not final:  # a delimiter cut by the block's end is known with the next block
        bad = bad[bad + 1 <= a.size]
    open_quote = None
    if quotes.size & 1:
        # The field still open starts at the last even quote not continuing a "".
        starts = evens[(evens == 0) | (a[np.maximum(evens - 1, 0)] != QUOTE)]
        open_quote = int(starts[-1])
    return quotes, _closing_error(a, bad, delimiter), open_quote


def _quotes_by_runs(
    a: Octets, quotes: Ints, delimiter: bytes, final: bool
) -> tuple[Ints, tuple[int, str] | None, int | None]:
    """Quotes taken by runs (``\"\"\"`` is one run), walked in Python if some run sits
    inside an unquoted field."""
    new_run = np.empty(quotes.size, dtype=bool)
    new_run[0] = True
    np.not_equal(quotes[1:] - quotes[:-1], 1, out=new_run[1:])
    heads = np.flatnonzero(new_run)
    run_starts = quotes[heads]
    lengths = np.empty_like(heads)
    lengths[:-1] = heads[1:] - heads[:-1]
    lengths[-1] = quotes.size - heads[-1]
    opening = (heads & 1) == 0  # an even number of quotes before: met outside a quoted field
    if not _after_separator(a, run_starts[opening], delimiter).all():
        keep = _classify(_after_separator(a, run_starts, delimiter), lengths)
        quotes = quotes[np.repeat(keep, lengths)]
        run_starts, lengths = run_starts[keep], lengths[keep]
        heads = np.cumsum(lengths) - lengths
        opening = (heads & 1) == 0
    closing = ((heads + lengths) & 1) == 0
    after_close = (run_starts + lengths)[closing]
    after_close = after_close[after_close < a.size]
    bad = after_close[~_separator_at(a, after_close, delimiter)]
    if not final:  # a delimiter cut by the block's end is known with the next block
        bad = bad[bad + len(delimiter) <= a.size]
    open_quote = int(run_starts[opening][-1]) if quotes.size & 1 else None
    return quotes, _closing_error(a, bad, delimiter), open_quote


def _closing_error(a: Octets, bad: Ints, delimiter: bytes) -> tuple[int, str] | None:
    if not bad.size:
        return None
    position = int(bad[0])
    found = a[position : position + 4].tobytes().decode("utf-8", "replace")[:1]
    return (
        position,
        f"unreadable CSV: {delimiter.decode()!r} or a line end expected after a closing "
        f"quote, found {found!r}; check the quoting on this line",
    )


def _classify(at_field_start: Mask, lengths: Ints) -> Mask:
    """Which quote runs are structural, walking them in order: a run met outside a quoted
    field and not at a field's start is plain text (``5" screen``)."""
    keep = np.ones(lengths.size, dtype=bool)
    inside = False
    for i, (starts_field, length) in enumerate(
        zip(at_field_start.tolist(), lengths.tolist(), strict=True)
    ):
        if inside:
            inside = length % 2 == 0
        elif starts_field:
            inside = length % 2 == 1
        else:
            keep[i] = False
    return keep


def _separator_at(a: Octets, positions: Ints, delimiter: bytes) -> Mask:
    """Whether a line end or the delimiter starts at each position."""
    if len(delimiter) == 1:
        single: Mask = _separator_bytes(delimiter[0])[a[positions]]
        return single
    found = a[positions]
    separator: Mask = (found == LF) | (found == CR) | _delimiter_at(a, positions, delimiter)
    return separator


def _after_separator(a: Octets, positions: Ints, delimiter: bytes) -> Mask:
    """Whether each position starts a field: the buffer's start, or after a line end or the
    delimiter."""
    found = a[np.maximum(positions - 1, 0)]
    if len(delimiter) == 1:
        after: Mask = (positions == 0) | _separator_bytes(delimiter[0])[found]
        return after
    ends_line = (found == LF) | (found == CR)
    after_delimiter = _delimiter_at(a, positions - len(delimiter), delimiter)
    starts: Mask = (positions == 0) | ends_line | after_delimiter
    return starts


@functools.cache
def _separator_bytes(delimiter: int) -> Mask:
    """A lookup table: which bytes end a field (a line end, or a one-byte delimiter)."""
    table = np.zeros(256, dtype=bool)
    table[[LF, CR, delimiter]] = True
    return table


@functools.cache
def _field_edges(delimiter: int) -> Mask:
    """A lookup table: the bytes next to which a quote is structural (a separator, a quote)."""
    table = _separator_bytes(delimiter).copy()
    table[QUOTE] = True
    return table


def _delimiter_at(a: Octets, positions: Ints, delimiter: bytes) -> Mask:
    inside = (positions >= 0) & (positions + len(delimiter) <= a.size)
    match = inside.copy()
    safe = np.where(inside, positions, 0)
    for offset, byte in enumerate(delimiter):
        match &= a[np.minimum(safe + offset, a.size - 1)] == byte
    return match


def _field_counts(
    view: Octets, delimiter: bytes, quotes: Ints | None, starts: Ints, ends: Ints
) -> Ints:
    found = np.flatnonzero(view == delimiter[0])
    if len(delimiter) > 1:
        found = found[_delimiter_at(view, found, delimiter)]
    if quotes is not None and quotes.size:
        found = found[(np.searchsorted(quotes, found) & 1) == 0]
    counts = np.searchsorted(found, ends) - np.searchsorted(found, starts) + 1
    counts[starts == ends] = 0
    return counts


class RecordScanner:
    """The records of a stream of UTF-8 blocks, in order, each batch a ``Records``.

    Raises ``InputFileError`` at the exact line of the first problem: a quoting error, a
    quoted field never closed, a record past ``FIELD_LIMIT``, or a byte the stream refused.
    """

    def __init__(self, blocks: Iterable[bytes], delimiter: str, where: str, *, fields: bool):
        self._blocks = iter(blocks)
        self._delimiter = delimiter.encode("utf-8")
        self._where = where
        self._fields = fields
        self.line = 1
        """The line the next record starts on."""

    def _fail(self, line: int, what: str) -> InputFileError:
        return InputFileError(f"{self._where}: line {line}: {what}", path=self._where, line=line)

    def __iter__(self) -> Iterator[Records]:
        carry = b""
        while True:
            try:
                block = next(self._blocks, None)
            except BadBytes as bad:
                raise self._bad_bytes(carry, bad.what) from None
            final = block is None
            buf = carry + block if carry and block else (block or carry)
            found = scan(
                buf, self._delimiter, final=final, first_line=self.line, fields=self._fields
            )
            if found.error is not None:
                position, what = found.error
                raise self._fail(found.line_at(self.line, position), what)
            if final and found.open_quote is not None:
                opened = found.line_at(self.line, found.open_quote)
                raise self._fail(
                    opened,
                    "unreadable CSV: the quoted field opened on this line is never closed "
                    "(unexpected end of data); look for an unbalanced quote",
                )
            if len(found.records):
                yield found.records
            self.line += found.lines_consumed
            carry = buf[found.consumed :]
            if final:
                return
            if len(carry) > FIELD_LIMIT:
                raise self._too_long(found)

    def _too_long(self, found: Scan) -> InputFileError:
        if found.open_quote is not None:
            return self._fail(
                found.line_at(self.line - found.lines_consumed, found.open_quote),
                f"unreadable CSV: the quoted field opened on this line runs past "
                f"{FIELD_LIMIT >> 20} MiB; look for an unbalanced quote",
            )
        return self._fail(
            self.line, f"a row longer than {FIELD_LIMIT >> 20} MiB: this is not a CSV of records"
        )

    def _bad_bytes(self, carry: bytes, what: str) -> InputFileError:
        found = scan(carry, self._delimiter, final=True, first_line=self.line, fields=False)
        if found.error is not None:
            position, problem = found.error
            return self._fail(found.line_at(self.line, position), problem)
        return self._fail(found.line_at(self.line, len(carry)), what)
