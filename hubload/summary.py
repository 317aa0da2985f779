"""The summary of a load (summary.json): counts that reconcile, its jobs, where its reports are."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hubload.audit import NOT_NEEDED, Audit


@dataclass(frozen=True)
class JobSummary:
    """One bulk job of a run, as the summary shows it."""

    chunk: int
    job_id: str | None
    status: str
    rows: int
    succeeded: int
    failed: int
    message: str | None = None
    calls: int = 0
    """Requests sent to the target for the chunk (the upload, settling, results...)."""
    polls: int = 0
    """Status reads while waiting for its job."""


@dataclass(frozen=True)
class Summary:
    """The outcome of one load: counts that reconcile, the jobs, and where the reports are."""

    run_id: str
    file: str
    target: str
    """The target as people read it (kind and instance; the hub for Open Connectors)."""
    object: str
    operation: str
    dry_run: bool
    read: int
    staged: int
    succeeded: int
    rejected: int
    failed: int
    jobs: list[JobSummary] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    top_rejections: list[tuple[str, int]] = field(default_factory=list)
    blank_lines: int = 0
    unmapped_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent reading, mapping, validating, staging and running the jobs."""
    discrepancies: list[str] = field(default_factory=list)
    """Why the counts do not reconcile, beyond the totals (a job's counts disagreeing)."""
    target_kind: str = ""
    """open-connectors or salesforce."""
    healed: int = 0
    """Rows that failed for a passing reason and loaded when sent again within the run."""
    heal_rounds: int = 0
    place: str = ""
    """Where, in a few words: ``marketing/contact`` (a hub and an object), ``org/Contact``."""
    skipped: int = 0
    """Rows before the start row, left alone: the file's rows are ``skipped + read``."""
    truncated: int = 0
    """Rows loaded with a value cut to its field's length (each value in truncated.csv)."""
    audit: Audit = NOT_NEEDED
    """What the target said of rows loaded twice, where a row may have been (hubload.audit)."""

    @property
    def reconciles(self) -> bool | None:
        """Whether every row read is accounted for: succeeded, rejected or failed (a dry run:
        staged or rejected), no job's counts disagree, and the target shows no row loaded
        twice. None when the counts add up but a row may have been loaded twice and the target
        could not say (``audit``): a check that cannot see a duplicate does not say yes."""
        if self.discrepancies or self.audit.status.is_problem:
            return False
        if self.dry_run:
            return self.read == self.staged + self.rejected
        if self.read != self.succeeded + self.rejected + self.failed:
            return False
        return True if self.audit.status.confirms else None

    @property
    def all_succeeded(self) -> bool:
        """Whether the load was clean: no row rejected or failed."""
        return self.rejected == 0 and self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to summary.json."""
        data = asdict(self)
        data["top_rejections"] = [{"reason": r, "rows": n} for r, n in self.top_rejections]
        data["reconciles"] = self.reconciles
        return data

    def write(self, path: Path) -> None:
        """Write summary.json."""
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
