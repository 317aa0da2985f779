"""The whole-file pre-pass: it counts the rows of a file that reads whole, and stops at the exact
line of the first problem, as the reader would."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubload.csvfile import CsvSource, Dialect, detect_dialect
from hubload.errors import ConfigError, InputFileError
from hubload.prepass import check_file

BODY = "".join(f'{i},"note {i}"\n' if i % 3 else f'{i},"two\r\nlines"\n' for i in range(5000))


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    return path


def test_counts_rows_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, ("\n\nid,note\n" + BODY + "\n\n5000,short,x\n").encode())
    checked = check_file(path, detect_dialect(path))
    # Blank lines before the header are no row and not counted; the ragged row is a row.
    assert (checked.rows, checked.blank_lines) == (5001, 2)


@pytest.mark.parametrize(
    ("tail", "line", "what"),
    [
        (b'9001,"closed"x\n', 8, "expected after a closing quote"),
        (b"9001,caf\xe9\n", 8, "not valid utf-8"),
        (b"9001,a\x00b\n", 8, "binary"),
        (b'9001,"a\nb\xff"\n', 9, "not valid utf-8"),
    ],
)
def test_the_first_problem_is_named_at_its_exact_line(
    tmp_path: Path, tail: bytes, line: int, what: str
) -> None:
    head = b'id,note\n1,a\n2,"b\nc"\n3,d\n\n4,e\n'  # 7 lines
    path = write(tmp_path, head + tail + BODY.encode())
    dialect = Dialect(delimiter=",", encoding="utf-8-sig")
    with pytest.raises(InputFileError, match=what) as info:
        check_file(path, dialect)
    assert info.value.line == line and f"line {line}:" in str(info.value)
    assert "\n" not in str(info.value)
    # The reader stops at the same line: the pre-pass proves what the reader will meet.
    with pytest.raises(InputFileError) as read, CsvSource(path, dialect) as source:
        list(source.chunks(1000))
    assert read.value.line == line


def test_a_quoted_field_never_closed_is_named_where_it_opens(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,note\n" + BODY.encode() + b'9001,"never closed\n9002,x\n')
    with pytest.raises(InputFileError, match="never closed") as info:
        check_file(path, Dialect(",", "utf-8"))
    assert info.value.line == 1 + BODY.count("\n") + 1


def test_a_late_problem_is_found_past_the_first_blocks(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'x' * 90}\n" for i in range(30_000))  # about 3 MiB: several blocks
    path = write(tmp_path, ("id,v\n" + rows).encode() + b'30000,"oops"!\n')
    with pytest.raises(InputFileError) as info:
        check_file(path, Dialect(",", "utf-8"))
    assert info.value.line == 30_002


def test_a_bad_encoding_is_a_configuration_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"a\n1\n")
    with pytest.raises(ConfigError, match="not a text encoding"):
        check_file(path, Dialect(",", "rot13"))
