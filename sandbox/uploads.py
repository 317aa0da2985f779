"""Receiving an upload: stream the multipart `file` part straight to disk, keep small fields.

The request body is never held in memory: python-multipart parses it as it arrives and the file
part's bytes go to the job's file, counted against the size limit as they come.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from sandbox.exceptions import ApiError, SandboxError

SNIFF_BYTES = 64 * 1024
_MAX_FIELD_BYTES = 1024 * 1024
# A multipart body carries boundaries and small fields beside the file: allow for them when
# judging a Content-Length before reading anything.
MULTIPART_OVERHEAD = 1024 * 1024


class _TooLargeError(SandboxError):
    """The file part outgrew the size limit (answered 413 once the body is drained)."""


@dataclass
class ReceivedUpload:
    """What the body held: the file (as a path on disk) and the small text fields."""

    file_parts: int = 0
    file_bytes: int = 0
    head: bytes = b""
    fields: dict[str, str] = field(default_factory=dict)


class _Receiver:
    def __init__(self, dest: Path, max_bytes: int) -> None:
        self.dest, self.max_bytes = dest, max_bytes
        self.result = ReceivedUpload()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.headers: dict[str, bytes] = {}
        self.name: str | None = None
        self.handle: IO[bytes] | None = None
        self.buffer = bytearray()
        self.head = bytearray()

    def on_part_begin(self) -> None:
        self.headers.clear()
        self.name = None
        self.buffer.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.decode("latin-1").lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.name == "file":
            self.result.file_parts += 1
            if self.result.file_parts == 1:
                self.handle = self.dest.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.name == "file":
            if self.handle is None:  # a second file part: counted, refused after the body
                return
            self.result.file_bytes += len(chunk)
            if self.result.file_bytes > self.max_bytes:
                raise _TooLargeError
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            self.handle.write(chunk)
        elif self.name:
            self.buffer += chunk
            if len(self.buffer) > _MAX_FIELD_BYTES:
                raise ApiError(400, f"The form field {self.name!r} is larger than 1 MiB")

    def on_part_end(self) -> None:
        if self.name == "file" and self.handle is not None:
            self.handle.close()
            self.handle = None
            self.result.head = bytes(self.head)
        elif self.name:
            self.result.fields[self.name] = self.buffer.decode("utf-8", "replace")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


async def receive_upload(request: Request, dest: Path, max_bytes: int) -> ReceivedUpload:
    """Stream the multipart body of `request`, the `file` part going to `dest`.

    Raises:
        ApiError: 415 not multipart, 400 malformed body or a second file part, 413 too large.
    """
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data":
        raise ApiError(415, "The upload must be multipart/form-data with a 'file' part")
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiError(400, "The multipart/form-data content type has no boundary")
    receiver = _Receiver(dest, max_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": receiver.on_part_begin,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
        },
    )
    too_large = False
    try:
        async for chunk in request.stream():
            if not too_large:
                try:
                    parser.write(chunk)
                except _TooLargeError:
                    # Keep reading (and dropping) the body so the client gets the 413 cleanly.
                    too_large = True
        if not too_large:
            parser.finalize()
    except MultipartParseError as exc:
        raise ApiError(400, f"Malformed multipart/form-data body: {exc}") from exc
    finally:
        receiver.close()
    if too_large:
        raise ApiError(413, f"The file is larger than the limit of {max_bytes} bytes")
    if receiver.result.file_parts > 1:
        raise ApiError(400, "The upload has more than one 'file' part")
    return receiver.result


def check_looks_like_csv(head: bytes) -> None:
    """Refuse a file that is plainly not UTF-8 text, judging by its first 64 KiB.

    Raises:
        ApiError: 400 when the head holds NUL bytes or bytes that are not UTF-8.
    """
    if b"\x00" in head:
        raise ApiError(400, "The file is not a CSV file: it contains NUL bytes")
    try:
        # final=False: a character cut at the 64 KiB mark is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, f"The file is not a UTF-8 CSV file (invalid byte at offset {exc.start})"
        ) from exc
