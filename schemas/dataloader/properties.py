"""Layer 1: a ``.sdl`` file as Java's ``Properties.load(InputStream)`` reads it, line numbers kept.

Data Loader reads mapping files with ``OrderedProperties.load(new FileInputStream(f))``, so:
ISO-8859-1 bytes (another encoding only when declared), whole-line ``#``/``!`` comments, a line
ending in an odd number of backslashes continued on the next (whose leading blanks are
dropped), the key ending at the first unescaped ``=``, ``:``, space, tab or form feed, escapes
``\\t \\n \\r \\f \\uXXXX`` (any other ``\\x`` gives ``x``), and the last of duplicate keys winning
at its last position (``OrderedProperties.put`` removes, then appends).
"""

from __future__ import annotations

import errno
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from schemas.dataloader.errors import NotTextError, PropertiesSyntaxError

JAVA_DEFAULT_ENCODING = "iso-8859-1"
"""What ``Properties.load(InputStream)`` decodes: each byte is one character."""

_BLANKS = " \t\f"
_LINE_END = re.compile(r"(\r\n|\r|\n)")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


@dataclass(frozen=True)
class PropertyEntry:
    """One key/value pair, with the physical line its logical line starts on."""

    key: str
    value: str
    line: int


@dataclass(frozen=True)
class PropertiesFile:
    """A properties file read: every entry as written, and the ones Java keeps."""

    path: str
    encoding: str
    written: tuple[PropertyEntry, ...]
    """Every entry in file order, duplicates included."""

    @property
    def entries(self) -> tuple[PropertyEntry, ...]:
        """The entries Data Loader keeps: the last of each key, at the last one's position."""
        return last_duplicate_wins(self.written)

    @property
    def replaced(self) -> tuple[tuple[PropertyEntry, PropertyEntry], ...]:
        """Each entry a later one with the same key replaced, paired with its replacement."""
        winners = {entry.key: entry for entry in self.written}
        return tuple(
            (entry, winners[entry.key]) for entry in self.written if winners[entry.key] != entry
        )

    def as_pairs(self) -> list[tuple[str, str]]:
        """The kept entries as ``(key, value)`` pairs, as Java's parser yields them."""
        return [(entry.key, entry.value) for entry in self.entries]


def last_duplicate_wins(entries: tuple[PropertyEntry, ...]) -> tuple[PropertyEntry, ...]:
    """Data Loader's OrderedProperties: a repeated key's last value wins, at its last place."""
    kept: dict[str, PropertyEntry] = {}
    for entry in entries:
        kept.pop(entry.key, None)
        kept[entry.key] = entry
    return tuple(kept.values())


def read_properties(path: Path, *, encoding: str = JAVA_DEFAULT_ENCODING) -> PropertiesFile:
    """Read a properties file from disk.

    Raises:
        DataLoaderFileError: the file cannot be read (line None).
        NotTextError: NUL bytes, or bytes that are not text in ``encoding``.
        PropertiesSyntaxError: a malformed ``\\uXXXX`` escape.
    """
    try:
        data = regular_file_bytes(path)
    except OSError as exc:
        raise NotTextError(
            f"cannot read: {exc.strerror or exc}", path=str(path), line=None
        ) from exc
    return decode_properties(data, path=str(path), encoding=encoding)


def regular_file_bytes(path: Path) -> bytes:
    """The bytes of a regular file; anything else (a FIFO, a device, a folder) is refused
    before it is opened, so that reading never blocks.

    Raises:
        OSError: missing, unreadable, or not a regular file.
    """
    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, a device or a folder)")
    return path.read_bytes()


def decode_properties(
    data: bytes, *, path: str = "<properties>", encoding: str = JAVA_DEFAULT_ENCODING
) -> PropertiesFile:
    """Decode and parse the bytes of a properties file.

    Raises:
        NotTextError: NUL bytes, bytes that are not text in ``encoding``, or an unknown encoding.
        PropertiesSyntaxError: a malformed ``\\uXXXX`` escape.
    """
    nul = data.find(b"\0")
    if nul >= 0:
        raise NotTextError(
            "binary data (a NUL byte), not a mapping file", path=path, line=_line_at(data, nul)
        )
    try:
        text = data.decode(encoding)
    except LookupError as exc:
        raise NotTextError(f"unknown encoding {encoding!r}", path=path, line=None) from exc
    except UnicodeDecodeError as exc:
        raise NotTextError(
            f"not {encoding} text (byte 0x{data[exc.start]:02x}); give the file's encoding",
            path=path,
            line=_line_at(data, exc.start),
        ) from exc
    # A BOM the declared encoding decodes is not part of the text; ISO-8859-1 keeps it as
    # characters (as Java does), which the interpretation layer reports.
    text = text.removeprefix("\ufeff")
    return PropertiesFile(path=path, encoding=encoding, written=parse_properties(text, path=path))


def parse_properties(text: str, *, path: str = "<properties>") -> tuple[PropertyEntry, ...]:
    """Parse decoded text with ``Properties.load`` semantics; every entry, duplicates included.

    Raises:
        PropertiesSyntaxError: a malformed ``\\uXXXX`` escape (Java's IllegalArgumentException).
    """
    parts = _LINE_END.split(text)
    lines, ends = parts[0::2], [*parts[1::2], ""]
    entries: list[PropertyEntry] = []
    index = 0
    while index < len(lines):
        start = index + 1
        logical = lines[index].lstrip(_BLANKS)
        index += 1
        if not logical or logical[0] in "#!":
            continue
        if logical == "\\":
            # A lone backslash leaves Java's reader at the start of a logical line: the next
            # line is read afresh (comment check included). Only at the very end of the input
            # does the reader hand over the empty line it holds, as the pair "" = "".
            if _ends_input(lines, ends, index - 1):
                entries.append(PropertyEntry("", "", start))
            continue
        while _continues(logical):
            logical = logical[:-1]
            if index >= len(lines):
                break
            following = lines[index].lstrip(_BLANKS)
            index += 1
            if not following:
                # Java ends the logical line at an empty (or all-blank) continuation line.
                break
            logical += following
        key, value = _split_entry(logical)
        entries.append(
            PropertyEntry(
                key=_unescape(key, path=path, line=start),
                value=_unescape(value, path=path, line=start),
                line=start,
            )
        )
    return tuple(entries)


def _ends_input(lines: list[str], ends: list[str], index: int) -> bool:
    """Whether Java's reader meets the end of input right after line ``index``: it is the last
    line, or its CR or LF is the input's last character (a CRLF is read one character further,
    so the reader is still inside the input)."""
    last = len(lines) - 1
    return index == last or (index == last - 1 and lines[last] == "" and ends[index] != "\r\n")


def _continues(logical: str) -> bool:
    run = len(logical) - len(logical.rstrip("\\"))
    return run % 2 == 1


def _split_entry(logical: str) -> tuple[str, str]:
    """Split a logical line into its raw (still escaped) key and value, as ``load0`` does."""
    key_end = len(logical)
    value_start = len(logical)
    has_separator = False
    escaped = False
    for position, char in enumerate(logical):
        if not escaped and char in "=:":
            key_end, value_start, has_separator = position, position + 1, True
            break
        if not escaped and char in _BLANKS:
            key_end, value_start = position, position + 1
            break
        escaped = char == "\\" and not escaped
    while value_start < len(logical):
        char = logical[value_start]
        if char not in _BLANKS:
            if has_separator or char not in "=:":
                break
            has_separator = True
        value_start += 1
    return logical[:key_end], logical[value_start:]


def _unescape(raw: str, *, path: str, line: int) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    position = 0
    while position < len(raw):
        char = raw[position]
        position += 1
        if char != "\\":
            out.append(char)
            continue
        # The line reader never leaves an unescaped backslash last, but a key cut at a
        # separator can end in one only if escaped, so a following character always exists.
        escape = raw[position] if position < len(raw) else ""
        position += 1
        if escape == "u":
            digits = raw[position : position + 4]
            if not _HEX4.fullmatch(digits):
                raise PropertiesSyntaxError(
                    f"malformed \\uxxxx escape '\\u{digits}' (Java refuses the file)",
                    path=path,
                    line=line,
                )
            out.append(chr(int(digits, 16)))
            position += 4
        else:
            out.append(_SIMPLE_ESCAPES.get(escape, escape))
    return _join_surrogates("".join(out))


def _join_surrogates(text: str) -> str:
    """Java strings are UTF-16: ``\\ud83d\\ude00`` is one character. Lone halves stay as Java
    keeps them."""
    if not any("\ud800" <= char <= "\udfff" for char in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _line_at(data: bytes, offset: int) -> int:
    before = data[:offset]
    # CR, LF and CRLF all end a line: count CRLF once.
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
