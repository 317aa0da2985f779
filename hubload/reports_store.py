"""Where a run's reports are read back from: its report folder (a path, or later a storage URL)."""

from __future__ import annotations

from pathlib import Path

from hubload.errors import ConfigError
from hubload.ledger import RunRecord

REPORT_FILES = {
    "rejected": "rejected.csv",
    "failed": "failed.csv",
    "success": "success.csv",
    "summary": "summary.json",
}


def read_report(record: RunRecord, kind: str) -> bytes:
    """The bytes of one report of a run.

    Raises:
        ConfigError: the run has no such report (not written, or not reachable from here).
    """
    name = REPORT_FILES[kind]
    path = Path(record.run_dir) / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        why = " (its target gives no record ids)" if kind == "success" else ""
        raise ConfigError(
            f"run {record.run_id} has no {name}{why}: looked in {path.parent}"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
