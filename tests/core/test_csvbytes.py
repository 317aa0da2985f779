"""The file as UTF-8 blocks: every good byte given, in order, up to the first bad one, whatever
the block size and the encoding."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from hubload.csvbytes import BadBytes, Utf8Blocks

TEXT = "id,name\r\n1,Zoë\r\n2,€uro 𝄞\n3,plain\n"


def given(path: Path, encoding: str, block: int) -> tuple[bytes, str | None]:
    out = bytearray()
    try:
        with Utf8Blocks(path, encoding, block=block) as blocks:
            for data in blocks:
                out += data
    except BadBytes as bad:
        return bytes(out), bad.what
    return bytes(out), None


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64])
@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", TEXT.encode()),
        ("utf-8-sig", codecs.BOM_UTF8 + TEXT.encode()),
        ("utf-16", TEXT.encode("utf-16")),
        ("cp1252", TEXT.replace("𝄞", "").encode("cp1252")),
    ],
)
def test_good_text_comes_out_as_its_utf8(
    tmp_path: Path, block: int, encoding: str, data: bytes
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    text = TEXT if encoding != "cp1252" else TEXT.replace("𝄞", "")
    assert given(path, encoding, block) == (text.encode(), None)


@pytest.mark.parametrize("block", [1, 2, 3, 4, 7, 64])
@pytest.mark.parametrize("cut", range(len(TEXT.encode())))
def test_everything_before_a_bad_byte_is_given(tmp_path: Path, block: int, cut: int) -> None:
    data = TEXT.encode()
    if 0x80 <= data[cut] < 0xC0:  # inside a character: cut before the whole character
        return
    path = tmp_path / "in.csv"
    path.write_bytes(data[:cut] + b"\xff" + data[cut:])
    good, what = given(path, "utf-8", block)
    assert good == data[:cut] and what is not None and "not valid utf-8" in what


@pytest.mark.parametrize(("encoding", "codec"), [("utf-8", "utf-8"), ("utf-16", "utf-16")])
def test_a_nul_ends_the_text_in_any_encoding(tmp_path: Path, encoding: str, codec: str) -> None:
    # UTF-16 text is full of NUL bytes: the NUL looked for is a character, after decoding.
    path = tmp_path / "in.csv"
    path.write_bytes(("a,b\n1,x\x00y\n").encode(codec))
    assert given(path, encoding, 3) == (b"a,b\n1,x", "binary data (a NUL byte), not a CSV")
