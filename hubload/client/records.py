"""Per-record errors of a bulk job, read tolerantly from the error pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_CODE = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_FIELDS = re.compile(r":\s*([A-Za-z0-9_.,\s]*?)\s*--\s*\Z")

# Error codes that mean "try the same row again later": lock contention and platform hiccups.
TRANSIENT_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT"}
)


@dataclass(frozen=True)
class RecordError:
    """One record the target refused: its position in the uploaded file and the target's error."""

    record_number: int | None
    """1-based data row of the uploaded file, when the target says."""
    text: str
    """The target's error exactly as given, e.g. ``STRING_TOO_LONG:Title: ... :Title --``."""
    code: str
    fields: tuple[str, ...] = ()
    record: Mapping[str, str] = field(default_factory=dict)

    @property
    def transient(self) -> bool:
        """Whether the same row may succeed if sent again (e.g. ``UNABLE_TO_LOCK_ROW``)."""
        return self.code in TRANSIENT_CODES

    @classmethod
    def from_element(cls, raw: Mapping[str, Any]) -> RecordError:
        """Read one element of ``GET /bulk/{id}/errors``; its shape is not documented, so the
        usual spellings are accepted (``recordNumber``/``lineNumber``/``index``,
        ``error``/``message``/``errorMessage``/``sf__Error``, ``record``/``data``)."""
        text = _first(raw, "error", "message", "errorMessage", "sf__Error", "errors")
        if isinstance(text, list):
            text = "; ".join(str(t) for t in text)
        text = str(text) if text is not None else "UNKNOWN_ERROR:the target gave no message"
        number = _first(raw, "recordNumber", "lineNumber", "rowNumber", "index")
        record = _first(raw, "record", "data") or {}
        code, fields = parse_error_text(text)
        return cls(
            record_number=int(number)
            if isinstance(number, int | str) and str(number).isdigit()
            else None,
            text=text,
            code=code,
            fields=fields,
            record={str(k): "" if v is None else str(v) for k, v in dict(record).items()},
        )


def parse_error_text(text: str) -> tuple[str, tuple[str, ...]]:
    """The status code and field names of ``CODE:message:fields --`` (``UNKNOWN`` if no code)."""
    head, sep, _ = text.partition(":")
    code = head.strip() if sep and _CODE.match(head.strip()) else "UNKNOWN"
    match = _FIELDS.search(text)
    names = tuple(n.strip() for n in match.group(1).split(",") if n.strip()) if match else ()
    return code, names


def _first(raw: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in raw and raw[key] is not None:
            return raw[key]
    return None
