"""A chunk's staged files: the exact CSV to upload, its sidecar, and the split of an upload that
would pass the target's size limit.

The upload is Arrow's CSV (RFC 4180, every value quoted, a missing value an empty field), hashed
from the very bytes written. The sidecar has no header: each row's source line, then the row's
original cells. An upload larger than ``max_bytes`` is cut by rows into as many equal parts as
its size asks, each part cut again while still too large: the same rows and limit always give
the same files. A row too large to be uploaded even alone is handed back, to be rejected.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow
import pyarrow.csv as pa_csv

_UPLOAD = pa_csv.WriteOptions(quoting_style="all_valid")
_SIDECAR = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


@dataclass(frozen=True)
class StagedChunk:
    """One chunk's valid rows, ready to upload as one bulk job."""

    number: int
    path: Path
    sidecar: Path
    rows: int
    sha256: str
    upload_bytes: int = 0
    """The size of the upload, in bytes."""


def sidecar_rows(chunk: StagedChunk) -> Iterator[tuple[int, int, list[str]]]:
    """(position in the chunk, source line, original cells) of each staged row."""
    with chunk.sidecar.open(encoding="utf-8", newline="") as stream:
        for position, row in enumerate(csv.reader(stream), start=1):
            yield position, int(row[0]), row[1:]


def stage_rows(
    number: int, upload: pyarrow.Table, sidecar: pyarrow.Table, chunk_dir: Path, max_bytes: int
) -> tuple[list[StagedChunk], pyarrow.Table]:
    """Write ``upload`` (its rows, with a header) and ``sidecar`` (``line`` then the original
    cells of the same rows) as chunks numbered from ``number``, none larger than ``max_bytes``.

    Returns the staged chunks, and the sidecar rows of the rows too large to upload alone.
    """
    staged: list[StagedChunk] = []
    too_large: list[pyarrow.Table] = []
    for part, data in _parts(upload, max_bytes):
        if part.num_rows == 1 and len(data) > max_bytes:
            too_large.append(sidecar.slice(part.offset, 1))
            continue
        rows = sidecar.slice(part.offset, part.num_rows)
        staged.append(_write(number + len(staged), data, rows, chunk_dir))
    return staged, pyarrow.concat_tables(too_large) if too_large else sidecar.slice(0, 0)


@dataclass(frozen=True)
class _Part:
    offset: int
    num_rows: int


def _parts(upload: pyarrow.Table, max_bytes: int) -> list[tuple[_Part, pyarrow.Buffer]]:
    found: list[tuple[_Part, pyarrow.Buffer]] = []
    todo = [_Part(0, upload.num_rows)]
    while todo:
        part = todo.pop(0)
        data = _csv(upload.slice(part.offset, part.num_rows))
        if len(data) <= max_bytes or part.num_rows == 1:
            found.append((part, data))
            continue
        pieces = min(part.num_rows, -(-len(data) // max_bytes))
        step, extra = divmod(part.num_rows, pieces)
        offset, split = part.offset, []
        for i in range(pieces):
            size = step + (1 if i < extra else 0)
            split.append(_Part(offset, size))
            offset += size
        todo[:0] = split
    return found


def _csv(table: pyarrow.Table) -> pyarrow.Buffer:
    sink = pyarrow.BufferOutputStream()
    pa_csv.write_csv(table, sink, _UPLOAD)
    return sink.getvalue()


def _write(number: int, data: pyarrow.Buffer, rows: pyarrow.Table, chunk_dir: Path) -> StagedChunk:
    path = chunk_dir / f"chunk-{number:05d}.csv"
    sidecar = chunk_dir / f"chunk-{number:05d}.source.csv"
    view = memoryview(data)
    path.write_bytes(view)
    pa_csv.write_csv(rows, str(sidecar), _SIDECAR)
    return StagedChunk(
        number=number,
        path=path,
        sidecar=sidecar,
        rows=rows.num_rows,
        sha256=hashlib.sha256(view).hexdigest(),
        upload_bytes=len(view),
    )
