"""The benchmark's contact files, made in one pass for every size, and the floor's chunks.

A file of N rows is the first N rows of the largest file (the same seeded rows as the earlier
benchmarks' ``generate``, byte for byte: 7 columns, CRLF lines, about 3% bad rows, each a bad
email, a missing last name or a ragged row of 4 fields). Beside them: the valid rows of each
block of ``chunk_size`` rows read, as ready CSV chunks (header included), which is how hubload
and the naive flow group the rows they send; the target's floor uploads those.

The rows are built as Arrow string arrays (the row loop only draws the seeded random numbers),
so the 2M-row file takes a few seconds.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

HEADER = "FirstName,LastName,Email,Title,Phone,MailingCity,Birthdate"
RAGGED_FIELDS = 4
BAD_EMAIL, NO_LAST_NAME, RAGGED = 0, 1, 2
FORMAT = 1
"""Bump when the files change: a data folder made by another version is made again."""


@dataclass(frozen=True)
class DataSet:
    """One size's file and what is in it."""

    rows: int
    path: str
    bytes: int
    bad_email: int
    no_last_name: int
    ragged: int
    chunks: list[str]
    """The valid rows of each block of ``chunk_size`` rows, in order (empty blocks left out)."""
    chunk_rows: list[int]

    @property
    def bad(self) -> int:
        """Rows a loader that checks emails, required fields and row shape rejects."""
        return self.bad_email + self.no_last_name + self.ragged

    @property
    def valid(self) -> int:
        """Rows that should load."""
        return self.rows - self.bad


def _bad_kinds(rows: int, bad_share: float, seed: int) -> npt.NDArray[np.int8]:
    """-1 for a good row, else the kind of bad row, drawn as the earlier generator drew them."""
    rng = random.Random(seed)
    draw, pick = rng.random, rng.randrange
    kinds = np.full(rows, -1, dtype=np.int8)
    for i in range(rows):
        if draw() < bad_share:
            kinds[i] = pick(3)
    return kinds


def _lines(kinds: npt.NDArray[np.int8]) -> pa.Array:
    """Every row's CSV line, CRLF included."""
    n = np.arange(len(kinds), dtype=np.int64)

    def text(values: npt.NDArray[np.int64], width: int = 0) -> pa.Array:
        strings = pc.cast(pa.array(values), pa.string())
        return pc.utf8_lpad(strings, width, "0") if width else strings

    def join(*parts: object) -> pa.Array:
        return pc.binary_join_element_wise(*parts, "")

    ids = text(n)
    first = join("First", ids)
    last = join("Last", ids)
    email = join("user", ids, "@example", text(n % 97), ".com")
    phone = join("(555) ", text(n % 1000, 3), "-", text(n % 10000, 4))
    birth = join("19", text(50 + n % 50), "-", text(1 + n % 12, 2), "-", text(1 + n % 28, 2))
    email = pc.if_else(pa.array(kinds == BAD_EMAIL), "not-an-email", email)
    last = pc.if_else(pa.array(kinds == NO_LAST_NAME), "", last)
    head = pc.binary_join_element_wise(first, last, email, "Design Engineer", ",")
    full = pc.binary_join_element_wise(head, phone, "Paris", birth, ",")
    line = pc.if_else(pa.array(kinds == RAGGED), head, full)
    return join(line, "\r\n")


class _Writer:
    """Writes runs of rows of one string array straight from its data buffer."""

    def __init__(self, lines: pa.Array) -> None:
        lines = pc.cast(lines, pa.large_string())  # 64-bit offsets: any size
        if lines.offset != 0 or lines.null_count:
            raise ValueError("an unsliced array without nulls is needed")
        _, offsets, data = lines.buffers()
        self.data = memoryview(data)
        self.offsets = np.frombuffer(offsets, dtype=np.int64)[: len(lines) + 1]

    def write(self, path: Path, start: int, end: int) -> None:
        with path.open("wb") as out:
            out.write(HEADER.encode() + b"\r\n")
            out.write(self.data[self.offsets[start] : self.offsets[end]])


def make(
    folder: Path, sizes: list[int], chunk_size: int, bad_share: float = 0.03, seed: int = 7
) -> dict[int, DataSet]:
    """The files of every size in ``folder`` (reused when a previous run made the same ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "datasets.json"
    key = {"format": FORMAT, "chunk_size": chunk_size, "bad_share": bad_share, "seed": seed}
    if index.exists():
        saved = json.loads(index.read_text())
        found = {int(rows): DataSet(**data) for rows, data in saved["sets"].items()}
        if saved["key"] == key and all(rows in found for rows in sizes):
            return {rows: found[rows] for rows in sizes}
    largest = max(sizes)
    kinds = _bad_kinds(largest, bad_share, seed)
    lines = _lines(kinds)
    every = _Writer(lines)
    good = kinds == -1
    valid = _Writer(lines.filter(pa.array(good)))
    before = np.concatenate(([0], np.cumsum(good)))  # valid rows before row i
    for stale in folder.glob("valid_*.csv"):
        stale.unlink()
    sets, written = {}, set()
    for rows in sorted(sizes):
        path = folder / f"contacts_{rows}.csv"
        every.write(path, 0, rows)
        chunks, chunk_rows = [], []
        for start in range(0, rows, chunk_size):
            end = min(start + chunk_size, rows)
            first, last = int(before[start]), int(before[end])
            if last == first:
                continue
            chunk = folder / f"valid_{start}_{end}.csv"
            if chunk not in written:
                valid.write(chunk, first, last)
                written.add(chunk)
            chunks.append(str(chunk))
            chunk_rows.append(last - first)
        part = kinds[:rows]
        sets[rows] = DataSet(
            rows=rows,
            path=str(path),
            bytes=path.stat().st_size,
            bad_email=int((part == BAD_EMAIL).sum()),
            no_last_name=int((part == NO_LAST_NAME).sum()),
            ragged=int((part == RAGGED).sum()),
            chunks=chunks,
            chunk_rows=chunk_rows,
        )
    saved_sets = {str(rows): asdict(data) for rows, data in sets.items()}
    index.write_text(json.dumps({"key": key, "sets": saved_sets}, indent=1))
    return sets
