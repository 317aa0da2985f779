"""The vectorised scanner against Python's csv module: the same records, lines and field counts,
and the same quoting errors on the same lines, wherever the blocks are cut."""

from __future__ import annotations

import csv
import io
import random

import pytest

from hubload import csvscan
from hubload.csvscan import RecordScanner
from hubload.errors import InputFileError

PIECES = ["a", "b", '"', '""', ",", "\n", "\r\n", "\r", " ", "é", ";", "\n\n", ',"x"', '"y",']


def pythons(text: str, delimiter: str) -> tuple[list[tuple[int, int, list[str]]], int | None]:
    """(first line, lines spanned, cells) of each record, and the line of a quoting error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    found, before = [], 0
    try:
        for row in reader:
            found.append((before + 1, reader.line_num - before, row))
            before = reader.line_num
    except csv.Error as exc:
        return found, -1 if "unexpected end of data" in str(exc) else reader.line_num
    return found, None


def scanned(
    text: str, delimiter: str, block: int
) -> tuple[list[tuple[int, int, list[str]]], int | None]:
    data = text.encode("utf-8")
    blocks = [data[i : i + block] for i in range(0, len(data), block)]
    found = []
    try:
        for batch in RecordScanner(blocks, delimiter, "f.csv", fields=True):
            assert batch.fields is not None
            for i in range(len(batch)):
                record = batch.buf[batch.starts[i] : batch.ends[i]].decode("utf-8")
                cells = next(csv.reader(io.StringIO(record, newline=""), delimiter=delimiter), [])
                assert len(cells) == batch.fields[i]
                found.append((int(batch.lines[i]), int(batch.spans[i]), cells))
    except InputFileError as exc:
        return found, -1 if "never closed" in str(exc) else exc.line
    return found, None


@pytest.mark.parametrize("seed", range(4))
def test_the_scan_is_pythons_csv_wherever_blocks_are_cut(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(800):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
        delimiter = rng.choice([",", ";", "§"])
        if delimiter == "§":
            text = text.replace(";", "§")
        expected, error = pythons(text, delimiter)
        found, found_error = scanned(text, delimiter, rng.randint(1, 16))
        assert found_error == error, (text, delimiter)
        if error is None:
            assert found == expected, (text, delimiter)


def test_a_quoted_field_never_closed_is_named_where_it_opens() -> None:
    blocks = [b'a,b\n1,2\n3,"open\n', b"4,5\n6,7\n"]
    with pytest.raises(InputFileError, match="never closed") as info:
        list(RecordScanner(blocks, ",", "f.csv", fields=False))
    assert info.value.line == 3


def test_a_record_past_the_limit_stops_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvscan, "FIELD_LIMIT", 64)
    blocks = [b'a,b\n1,2\n3,"' + b"x" * 40, b"y" * 40, b"z" * 40, b'"\n']
    with pytest.raises(InputFileError, match="runs past") as info:
        list(RecordScanner(blocks, ",", "f.csv", fields=False))
    assert info.value.line == 3
    with pytest.raises(InputFileError, match="row longer than"):
        list(RecordScanner([b"a,b\n" + b"x" * 70, b"x" * 70], ",", "f.csv", fields=False))
