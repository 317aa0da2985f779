"""Reading an uploaded CSV file: the reader every pass over it uses, and its data chunks.

Processing and the Salesforce results both read a file through here, so they number its
records alike: blank lines are no record, and the chunks are the same.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from _csv import Reader

# The unit of look-ups, of cancel checks and of the order of fault draws (updates, then
# inserts): another size would change which rows a seeded lock fault hits.
CHUNK_ROWS = 5000


def open_csv(path: Path, delimiter: str = ",") -> tuple[IO[str], Reader]:
    """The file opened as UTF-8 (a BOM allowed) and its strict CSV reader; close the handle.

    Raises:
        OSError: the file cannot be opened.
    """
    handle = path.open(encoding="utf-8-sig", newline="")
    return handle, csv.reader(handle, delimiter=delimiter, strict=True)


def data_chunks(reader: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    """The data rows in chunks of `CHUNK_ROWS`, blank lines left out (they are no record)."""
    rows = filter(None, reader)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk
