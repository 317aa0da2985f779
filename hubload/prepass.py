"""The whole-file pre-pass: proof, before the first upload, that the file will read whole.

What it checks, by the reader's own code (``csvbytes`` and ``csvscan``, the rules of Python's
``csv`` with ``strict=True``):

- every byte decodes in the chosen encoding, strictly, and no character is a NUL;
- the quoting: a quote that closes a field is followed by the delimiter, a line end or the end
  of the file; no quoted field is left open at the end; no record runs past 16 MiB.

A problem raises ``InputFileError`` naming the exact line (for a quoted field never closed,
the line it opens on). What it does not check: field counts (a ragged row is a row to reject,
not a broken file), the header (checked when the file is opened) and values. It counts the data
rows (records after the header, blank lines left out) and the blank lines: a progress bar's
total, for nothing more than the scan already does.

Cost, measured with ``benchmarks/prepare_benchmark.py`` on 2 shared cores (medians of 3): 0.11 s
for the benchmark's 1M-row contact file (96 MB, CRLF, few quotes), 4.7% of its 2.4 s
preparation, and 0.28 s of 6.1 s at 2M rows. A file with every field quoted costs 0.25-0.35 s per
million rows; one with a quote inside an unquoted field on every other row (``5" screen``, whose
blocks walk their quote runs in Python) 0.17 s. Memory is bounded whatever the file's size: one
1 MiB block, the record it cuts (at most 16 MiB), and the scan's arrays for that block.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubload.csvbytes import Utf8Blocks
from hubload.csvfile import Dialect, checked_encoding
from hubload.csvscan import RecordScanner


@dataclass(frozen=True)
class FileCheck:
    """What the pre-pass counted in a file that reads whole."""

    rows: int
    """Data rows: the records after the header, blank lines left out, malformed ones in."""
    blank_lines: int
    """Blank lines after the header."""
    seconds: float


def check_file(path: Path, dialect: Dialect) -> FileCheck:
    """Read all of ``path`` once, without parsing fields, to prove that it reads whole.

    Raises:
        InputFileError: a byte that does not decode, a NUL, broken quoting, a record past
            16 MiB, or a file that cannot be opened or is not a regular file; with its line.
        ConfigError: the dialect's encoding is unknown or not a text encoding.
    """
    started = time.perf_counter()
    records, blank = 0, 0
    with Utf8Blocks(path, checked_encoding(dialect.encoding)) as blocks:
        scanner = RecordScanner(blocks, dialect.delimiter, str(path), fields=False)
        for batch in scanner:
            blanks = batch.blank
            if not records:
                named = np.flatnonzero(~blanks)
                if not named.size:
                    continue
                blanks = blanks[int(named[0]) :]
            records += int(blanks.size - blanks.sum())
            blank += int(blanks.sum())
    return FileCheck(
        rows=max(records - 1, 0),
        blank_lines=blank,
        seconds=time.perf_counter() - started,
    )
