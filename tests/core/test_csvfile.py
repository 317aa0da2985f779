"""Reading messy CSV files: no row lost, shifted or padded; unreadable files stop early."""

import codecs
import csv
import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubload.csvfile import CsvSource, Dialect, Parser, RawChunk, detect_dialect
from hubload.errors import ConfigError, InputFileError


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


@pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "zlib", "bz2", "uu", "quopri"])
def test_an_encoding_that_is_not_text_is_refused_with_the_fix(
    tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not a text encoding") as info:
        detect_dialect(path, encoding=encoding)
    assert "utf-8, cp1252" in str(info.value) and "\n" not in str(info.value)
    # A dialect built by hand (a resumed run's) is refused the same way when opened.
    with pytest.raises(ConfigError, match="not a text encoding"):
        CsvSource(path, Dialect(delimiter=",", encoding=encoding))


def test_an_unknown_encoding_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown encoding 'klingon'"):
        detect_dialect(write(tmp_path, "a\n1\n"), encoding="klingon")


@pytest.mark.parametrize("delimiter", ['"', "\n", "\r", "\x00", ";;", ""])
def test_a_delimiter_that_cannot_split_is_refused(tmp_path: Path, delimiter: str) -> None:
    with pytest.raises(ConfigError, match="delimiter must be one character"):
        detect_dialect(write(tmp_path, "a,b\n1,2\n"), delimiter=delimiter)


@pytest.fixture
def special_files(tmp_path: Path) -> Iterator[list[tuple[Path, str]]]:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.csv"))
        yield [
            (fifo, "FIFO"),
            (folder, "directory"),
            (Path("/dev/null"), "character device"),
            (tmp_path / "s.csv", "socket"),
            (link, "FIFO"),
        ]


@pytest.mark.timeout(30)  # a FIFO opened for reading would block until a writer comes
def test_anything_but_a_regular_file_is_refused_at_once(
    special_files: list[tuple[Path, str]],
) -> None:
    for path, kind in special_files:
        with pytest.raises(InputFileError, match=kind) as info:
            detect_dialect(path)
        assert "not a file" in str(info.value) and "\n" not in str(info.value)
        with pytest.raises(InputFileError, match=kind):
            CsvSource(path, Dialect(delimiter=",", encoding="utf-8"))


def test_a_nul_anywhere_is_binary_at_its_line(tmp_path: Path) -> None:
    body = "".join(f"{i},row{i}\n" for i in range(30_000))  # well past the 64 KiB sniffed
    path = write(tmp_path, "k,v\n" + body + "30000,bad\x00value\n" + "30001,after\n")
    with pytest.raises(InputFileError, match="binary") as info:
        read_all(path)
    assert info.value.line == 30_002 and "line 30002" in str(info.value)


@pytest.mark.parametrize(
    ("encoding", "good", "bad"),
    [
        (None, "é".encode(), b"caf\xe9"),  # UTF-8 read as is, checked
        ("ascii", b"e", b"caf\xe9"),  # decoded and written again as UTF-8
        ("utf-16", "é".encode("utf-16-le"), b"\x00\xd8\x41\x00"),  # a lone surrogate
    ],
)
def test_an_undecodable_byte_names_its_exact_line(
    tmp_path: Path, encoding: str | None, good: bytes, bad: bytes
) -> None:
    codec = "utf-16-le" if encoding == "utf-16" else "utf-8"
    lines = ["k,v"] + [f'{i},"multi\nline {i}"' if i % 7 == 0 else f"{i},ok" for i in range(20_000)]
    head = "\n".join(lines).encode(codec) + "\n".encode(codec)
    row = f"{len(lines)},".encode(codec) + good + bad + "\n".encode(codec)
    data = (codecs.BOM_UTF16_LE if encoding == "utf-16" else b"") + head + row
    path = write(tmp_path, data)
    expected = sum(line.count("\n") + 1 for line in lines) + 1
    kw = {"encoding": encoding} if encoding else {}
    with pytest.raises(InputFileError, match="not valid") as info:
        read_all(path, **kw)
    assert info.value.line == expected and f"line {expected}:" in str(info.value)


def test_a_ragged_row_keeps_the_chunk_on_the_fast_path(tmp_path: Path) -> None:
    rows = [f"{i},x{i},y" for i in range(1, 500)]
    rows[100] = "101,short"
    rows[200] = '201,"two\nlines",y,extra'
    _, chunks = read_all(write(tmp_path, "id,a,b\n" + "\n".join(rows) + "\n"))
    (chunk,) = chunks
    assert chunk.parser is Parser.ARROW
    assert [(m.line, m.end_line, m.values) for m in chunk.malformed] == [
        (102, 102, ["101", "short"]),
        (202, 203, ["201", "two\nlines", "y", "extra"]),
    ]
    lines = [line for line, _ in rows_with_lines(chunks)]
    assert lines == [n for n in range(2, 502) if n not in (102, 202, 203)]


@pytest.mark.parametrize("delimiter", [",", "§"])
def test_both_parsers_read_quotes_as_pythons_csv(tmp_path: Path, delimiter: str) -> None:
    text = (
        'id,size,note\r1,5" screen,"a ""quoted"" word"\r2,"x\r\ny",\r\r3,""\r4,12"x"3,end'
    ).replace(",", delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    expected = []
    for row in reader:
        expected.append(row)
    _, chunks = read_all(write(tmp_path, text), delimiter=delimiter)
    assert chunks[0].parser is (Parser.ARROW if delimiter == "," else Parser.CSV)
    found = rows_with_lines(chunks) + [(m.line, m.values) for c in chunks for m in c.malformed]
    assert sorted(found) == [
        (2, expected[1]),
        (3, expected[2]),
        (6, expected[4]),
        (7, expected[5]),
    ]
    assert expected[3] == [] and expected[4] == ["3", ""]  # a blank line; a short row
    assert expected[1][1] == '5" screen' and expected[5][1] == '12"x"3'


def test_an_undecodable_byte_in_the_sniffed_head_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, b'a,b\r\n1,"x\ry"\r\n2,caf\xe9\r\n')
    with pytest.raises(InputFileError, match="line 4: not valid utf-8") as info:
        detect_dialect(path)
    assert info.value.line == 4
