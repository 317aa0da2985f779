"""The input file as UTF-8 blocks: opened only if it is a regular file, decoded strictly.

Every reader of the file (the dialect sniffer, the pre-pass, the chunk reader) goes through
``open_regular``, which never blocks: a FIFO, a directory or a device is refused from the open
descriptor (``O_NONBLOCK``, then ``fstat``), so a path swapped after a check cannot hang the load.

``Utf8Blocks`` gives the file's text as UTF-8 bytes whatever its encoding, so that the scanner and
pyarrow's parser see one byte form: a UTF-8 file is passed through (a block of pure ASCII is
proven valid by ``bytes.isascii`` alone), any other encoding is decoded and encoded again.
A byte that does not decode, or a NUL, ends the stream: the blocks before it are given, then
``BadBytes`` says what was found, so that the caller can name the exact line it is on.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from hubload.errors import InputFileError

BLOCK = 1 << 20
_UTF8 = frozenset({"utf-8", "utf-8-sig"})
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class BadBytes(Exception):  # noqa: N818 - a signal between two modules, never shown as is
    """The stream met bytes that are not text: everything before them was given."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file; never blocks.

    Raises:
        InputFileError: missing, unreadable, or not a regular file (a directory, FIFO, device).
    """
    try:
        _refuse_special(path, path.stat().st_mode)  # a socket cannot even be opened
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot open: {exc.strerror or exc}", path=str(path)) from exc
    try:
        _refuse_special(path, os.fstat(fd).st_mode)  # what was opened, if the path changed
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _refuse_special(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise InputFileError(
            f"{path}: {kind}, not a file: give the path of a CSV file", path=str(path)
        )


def text_encoding(name: str) -> str:
    """The codec's canonical name (``UTF8`` -> ``utf-8``).

    Raises:
        LookupError: no such codec.
        ValueError: a codec that is not a text encoding (``rot13``, ``hex``, ``base64``, ``zlib``).
    """
    info = codecs.lookup(name)
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r} is not a text encoding")
    return info.name


class Utf8Blocks:
    """The file's text as blocks of UTF-8 bytes, checked as they are read.

    Iterating raises ``BadBytes`` after the last good block when a byte does not decode or
    is a NUL. Use as a context manager; the file is closed on exit.
    """

    def __init__(self, path: Path, encoding: str, block: int = BLOCK) -> None:
        self.encoding = text_encoding(encoding)
        self._file = open_regular(path)
        self._block = block

    def __enter__(self) -> Utf8Blocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __iter__(self) -> Iterator[bytes]:
        if self.encoding in _UTF8:
            return self._utf8()
        return self._transcoded()

    def _utf8(self) -> Iterator[bytes]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        bom = self.encoding == "utf-8-sig"
        while True:
            block = self._file.read(self._block)
            if bom:
                bom = False
                block = self._without_bom(block)
                if not block:
                    continue
            if not block:
                _finish(decoder)
                return
            nul = block.find(b"\x00")
            good, problem = block, None
            if nul >= 0:
                good, problem = block[:nul], "binary data (a NUL byte), not a CSV"
            if not good.isascii() or decoder.getstate()[0]:
                try:
                    decoder.decode(good)
                except UnicodeDecodeError as exc:
                    # The decoder still holds the bytes it kept from the block before.
                    pending = len(decoder.getstate()[0])
                    good = good[: max(exc.start - pending, 0)]
                    problem = _undecodable("utf-8", exc)
            if good:
                yield good
            if problem is not None:
                raise BadBytes(problem)

    def _without_bom(self, block: bytes) -> bytes:
        while block and len(block) < len(codecs.BOM_UTF8) and codecs.BOM_UTF8.startswith(block):
            more = self._file.read(self._block)
            if not more:
                break
            block += more
        return block.removeprefix(codecs.BOM_UTF8)

    def _transcoded(self) -> Iterator[bytes]:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        while True:
            block = self._file.read(self._block)
            state = decoder.getstate()
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                decoder.setstate(state)
                text = decoder.decode(block[: max(exc.start - len(state[0]), 0)])
                yield from _encoded(text)
                raise BadBytes(_undecodable(self.encoding, exc)) from None
            yield from _encoded(text)
            if not block:
                return


def _encoded(text: str) -> Iterator[bytes]:
    nul = text.find("\x00")
    good = text if nul < 0 else text[:nul]
    try:
        data = good.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, from a lax codec
        yield good[: exc.start].encode("utf-8")
        raise BadBytes(f"a character that is not text ({good[exc.start]!r})") from None
    if data:
        yield data
    if nul >= 0:
        raise BadBytes("binary data (a NUL byte), not a CSV")


def _finish(decoder: codecs.IncrementalDecoder) -> None:
    """A character cut by the end of the file is an undecodable byte too."""
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise BadBytes(_undecodable("utf-8", exc)) from None


def _undecodable(encoding: str, exc: UnicodeDecodeError) -> str:
    shown = exc.object[exc.start : exc.start + 4].hex(" ")
    return (
        f"not valid {encoding} text (bytes {shown}); give the file's encoding "
        "(for example --encoding cp1252)"
    )
