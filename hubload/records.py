"""What a target says of each row of a job: refused (with its error) or loaded (with its id)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_CODE = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_FIELDS = re.compile(r":\s*([A-Za-z0-9_.,\s]*?)\s*--\s*\Z")

# Error codes that mean "try the same row again later": lock contention, platform hiccups, and
# rows a job that ended early never processed (Salesforce lists them as unprocessed).
TRANSIENT_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "REQUEST_RUNNING_TOO_LONG",
        "SERVER_UNAVAILABLE",
        "QUERY_TIMEOUT",
        "UNPROCESSED",
    }
)


@dataclass(frozen=True)
class RecordError:
    """One record the target did not load: where it was in the upload and the target's error.

    A target ties it to its row by ``record_number`` when it gives one, else by ``record`` (the
    row's cells as uploaded, by column)."""

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
    def of(
        cls, text: str, *, record_number: int | None = None, record: Mapping[str, str] | None = None
    ) -> RecordError:
        """An error from the target's text, its code and fields parsed from it."""
        code, fields = parse_error_text(text)
        return cls(
            record_number=record_number,
            text=text,
            code=code,
            fields=fields,
            record=dict(record or {}),
        )


@dataclass(frozen=True)
class RecordSuccess:
    """One record the target loaded: its id, whether it was created (else updated), and the row's
    cells as uploaded (results come in no guaranteed order: the cells tie it to its row)."""

    record_id: str
    created: bool | None
    record: Mapping[str, str]
    record_number: int | None = None


def parse_error_text(text: str) -> tuple[str, tuple[str, ...]]:
    """The status code and field names of ``CODE:message:fields --`` (``UNKNOWN`` if no code)."""
    head, sep, _ = text.partition(":")
    code = head.strip() if sep and _CODE.match(head.strip()) else "UNKNOWN"
    match = _FIELDS.search(text)
    names = tuple(n.strip() for n in match.group(1).split(",") if n.strip()) if match else ()
    return code, names
