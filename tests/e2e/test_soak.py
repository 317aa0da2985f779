"""A scaled-down fault soak: loads into a sandbox with a bad day's fault mix (5xx, 429 with
Retry-After, lost upload answers, record locks, latency), insert and upsert, with and without
a match key. Each load finishes its rows in its own run (only the permanently bad rows are
left), every run reconciles, and the sandbox's records say: nothing lost, nothing twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from hubload.summary import Summary
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.helpers import ledger, read_report, run_load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
ROWS = 4_000
BAD_EVERY = 97  # a bad email on every 97th row: rejected, the only rows left
LOADS = [
    ("insert", None),
    ("insert", "Email"),
    ("upsert", None),
    ("upsert", "Email"),
]


def _file(path: Path, start: int) -> Path:
    lines = ["LastName,Email"]
    for i in range(start, start + ROWS):
        email = f"bad-{i}" if i % BAD_EVERY == 0 else f"s{i}@x.com"
        lines.append(f"L{i},{email}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_loads_heal_under_a_bad_days_faults(
    start_sb: SandboxFactory, use_target: Callable[[RunningSandbox], Path], tmp_path: Path
) -> None:
    sandbox = start_sb(
        seed=2026,
        error_rate=0.1,
        rate_limit_rate=0.05,
        retry_after=1,
        lost_response_rate=0.02,
        lock_error_rate=0.05,
        latency_ms=5,
    )
    use_target(sandbox)
    expected: set[str] = set()
    for number, (operation, match_key) in enumerate(LOADS):
        start = number * ROWS
        path = _file(tmp_path / f"load{number}.csv", start)
        options: dict[str, object] = {"chunk_size": 500, "concurrency": 4, "settle_seconds": 1}
        if operation == "upsert":
            options |= {"operation": "upsert", "external_id": "Email"}
        if match_key:
            options["match_key"] = match_key
        state, summary = run_load(path, "Contact", **options)
        assert isinstance(summary, Summary), f"load {number} ({operation}, {match_key}): {summary}"
        bad = sum(1 for i in range(start, start + ROWS) if i % BAD_EVERY == 0)
        # Finished in its own run: only the bad rows are left, and they were rejected.
        assert (summary.read, summary.rejected, summary.failed) == (ROWS, bad, 0), (
            operation,
            match_key,
            read_report(summary, "failed")[:5],
        )
        assert summary.succeeded == ROWS - bad and state.name == "Partially loaded"
        assert summary.reconciles
        record = ledger().run(summary.run_id, exact=True)
        assert record is not None and record.status == "partial"
        expected |= {f"s{i}@x.com" for i in range(start, start + ROWS) if i % BAD_EVERY}
        emails = Counter(r["Email"] for r in sandbox.store.records("helpdesk", "Contact"))
        assert max(emails.values()) == 1, [e for e, n in emails.items() if n > 1][:5]
        assert set(emails) == expected
    calls = [j.calls for j in summary.jobs]
    assert max(calls) <= 10 + 5, calls  # a small constant per chunk (plus retries on 5xx)
