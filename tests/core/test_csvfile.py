"""Reading messy CSV files: no row lost, shifted or padded; unreadable files stop early."""

import codecs
from pathlib import Path

import pytest

from hubload.csvfile import CsvSource, RawChunk, detect_dialect
from hubload.errors import InputFileError


def write(tmp_path: Path, content: bytes | str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def read_all(path: Path, chunk_size: int = 1000, **kw: str) -> tuple[list[str], list[RawChunk]]:
    with CsvSource(path, detect_dialect(path, **kw)) as source:
        return source.header, list(source.chunks(chunk_size))


def rows_with_lines(chunks: list[RawChunk]) -> list[tuple[int, list[str]]]:
    return [(line, row) for c in chunks for line, row in zip(c.lines, c.rows, strict=True)]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a;b;c\n1;2;3\n", ";"),
        ("a|b|c\n1|2|3\n", "|"),
        ('name,note\n"Smith; Jr","a;b;c;d"\n', ","),
        ("only\nx\n", ","),
    ],
)
def test_delimiter_detection(tmp_path: Path, text: str, delimiter: str) -> None:
    assert detect_dialect(write(tmp_path, text)).delimiter == delimiter


def test_quoted_newlines_delimiters_quotes_keep_source_lines(tmp_path: Path) -> None:
    text = (
        "id,note,city\r\n"
        '1,"line one\r\nline two",Paris\r\n'
        '2,"has, comma and ""quotes""",Rome\r\n'
        "\r\n"
        '3,"a\nb\nc",Oslo\r\n'
        "4,plain,Bern\r\n"
    )
    header, chunks = read_all(write(tmp_path, text))
    assert header == ["id", "note", "city"]
    assert rows_with_lines(chunks) == [
        (2, ["1", "line one\r\nline two", "Paris"]),
        (4, ["2", 'has, comma and "quotes"', "Rome"]),
        (6, ["3", "a\nb\nc", "Oslo"]),
        (9, ["4", "plain", "Bern"]),
    ]


def test_bom_is_stripped_and_every_cell_is_text(tmp_path: Path) -> None:
    text = "\ufeffZip,Name,Flag\n01234,Null,NA\n,None,nan\n"
    header, chunks = read_all(write(tmp_path, text))
    assert header == ["Zip", "Name", "Flag"]
    assert rows_with_lines(chunks) == [(2, ["01234", "Null", "NA"]), (3, ["", "None", "nan"])]


def test_ragged_rows_are_set_aside_not_padded(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"
    _, chunks = read_all(write(tmp_path, text))
    assert rows_with_lines(chunks) == [(2, ["1", "2", "3"]), (5, ["10", "11", "12"])]
    bad = [(m.line, m.values) for c in chunks for m in c.malformed]
    assert bad == [(3, ["4", "5"]), (4, ["6", "7", "8", "9"])]
    assert "2 field(s) where the header has 3" in chunks[0].malformed[0].reason


def test_chunks_cover_every_row_once(tmp_path: Path) -> None:
    lines = ["k,v"] + [f"{i},x{i}" for i in range(1, 26)] + ["oops"]
    _, chunks = read_all(write(tmp_path, "\n".join(lines) + "\n"), chunk_size=7)
    assert [c.size for c in chunks] == [7, 7, 7, 5]
    assert [line for line, _ in rows_with_lines(chunks)] == list(range(2, 27))
    assert chunks[-1].malformed[0].line == 27


def test_utf16_with_bom(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "a,b\n1,é\n".encode("utf-16-le")
    assert read_all(write(tmp_path, data))[1][0].rows == [["1", "é"]]


def test_given_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "name\nJosé\n".encode("cp1252"))
    with pytest.raises(InputFileError, match="not valid utf-8"):
        read_all(path)
    assert read_all(path, encoding="cp1252")[1][0].rows == [["José"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
        (b"a,,c\n1,2,3\n", "blank column name"),
        (b"a,b,a\n1,2,3\n", "repeats column name"),
        (b'a,b\n1,"open\n2,3\n', "line"),
        (b'a,b\n"x"y,2\n', "quoting"),
        (b"norm@acme.com,Norm,Smith\nann@x.com,Ann,Lee\n", "needs a header row"),
        (b"1,2,3\n4,5,6\n", "needs a header row"),
    ],
)
def test_unreadable_files_raise_one_line_errors(
    tmp_path: Path, content: bytes, message: str
) -> None:
    with pytest.raises(InputFileError, match=message) as info:
        read_all(write(tmp_path, content))
    assert "\n" not in str(info.value)


def test_late_decoding_error_is_raised_while_streaming(tmp_path: Path) -> None:
    good = "".join(f"{i},ok\n" for i in range(20000)).encode()
    path = write(tmp_path, b"k,v\n" + good + b"20001,caf\xe9\n")
    with CsvSource(path, detect_dialect(path)) as source, pytest.raises(InputFileError) as info:
        list(source.chunks(1000))
    assert "not valid utf-8" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot open"):
        detect_dialect(tmp_path / "nope.csv")
