"""Where a run's reports are read back from: its report folder, a local path or a folder of
the shared storage (``s3://...``), whichever the ledger recorded."""

from __future__ import annotations

from typing import Any

from hubload.errors import ConfigError, StorageError
from hubload.ledger import RunRecord
from hubload.storage import read_bytes

REPORT_FILES = {
    "rejected": "rejected.csv",
    "failed": "failed.csv",
    "success": "success.csv",
    "summary": "summary.json",
}


def read_report(record: RunRecord, kind: str, options: dict[str, Any] | None = None) -> bytes:
    """The bytes of one report of a run (``options``: the storage's fsspec options).

    Raises:
        ConfigError: the run has no such report (not written, or not reachable from here).
    """
    name = REPORT_FILES[kind]
    location = f"{record.run_dir.rstrip('/')}/{name}"
    try:
        return read_bytes(location, options)
    except FileNotFoundError:
        why = " (its target gives no record ids)" if kind == "success" else ""
        raise ConfigError(
            f"run {record.run_id} has no {name}{why}: looked in {record.run_dir}"
        ) from None
    except StorageError as exc:
        raise ConfigError(f"{exc}") from exc
