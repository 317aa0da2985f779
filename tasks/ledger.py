"""The ledger as the tasks reach it (one per database URL in a process), and recording a run."""

from __future__ import annotations

import functools
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from hubload.ledger import Ledger, RunStatus
from hubload.leftovers import leftover_rows
from hubload.settings import Settings
from hubload.summary import Summary


@functools.cache
def _ledger(url: str) -> Ledger:
    return Ledger(url)


def ledger() -> Ledger:
    """The ledger of the current settings (``HUBLOAD_LEDGER_URL``, else ``<home>/ledger.db``)."""
    return _ledger(Settings().resolved_ledger_url())


@task(name="record-in-ledger", cache_policy=NO_CACHE)
def record_outcome(run_id: str, summary: Summary, run_dir: Path) -> None:
    """Record the rows the run left over (from its reports in ``run_dir``, this machine's copy)
    and how it ended; a reprocess run resolves the rows of its parent that it loaded."""
    book = ledger()
    reports = summary.reports
    leftovers = list(
        leftover_rows(
            run_dir / "rejected.csv" if "rejected" in reports else None,
            run_dir / "failed.csv" if "failed" in reports else None,
        )
    )
    book.record_rows(run_id, leftovers)
    # Rows are named by the original file's lines (a reprocess run's reports were renumbered).
    left = {r.line for r in leftovers}
    loaded = [original for original in book.lineage(run_id).values() if original not in left]
    for ancestor, count in book.resolve_upwards(run_id, loaded).items():
        get_run_logger().info(
            "%d row(s) of run %s resolved; %d remain", count, ancestor, book.remaining(ancestor)
        )
    book.finish_run(
        run_id,
        RunStatus.COMPLETED if summary.all_succeeded else RunStatus.PARTIAL,
        read=summary.read,
        succeeded=summary.succeeded,
        rejected=summary.rejected,
        failed=summary.failed,
        message=summary.audit.note if summary.audit.status.is_problem else None,
    )
