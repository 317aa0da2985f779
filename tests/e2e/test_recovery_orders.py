"""Every order of recovery over one run that holds failed, unknown and rejected rows at once:
``resume``, ``reprocess`` (failed, transient, corrected rejects) and a Retry (the run's flow
again under its run id), against a calm target and against one with faults. After each step
the sandbox's records are counted: never a row twice; at the end (a calm target, a last
resume and reprocess), never one lost."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.resume import resume
from hubload.ledger import RowOutcome, RunStatus
from hubload.outcomes import fate_unknown
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.helpers import ledger, run_load, run_reprocess

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
UseTarget = Callable[..., Path]
ROWS, BAD = 60, {5, 17, 33}  # rows of the file; the data rows with a bad email
FAULTS: dict[str, Any] = {
    "error_rate": 0.1,
    "rate_limit_rate": 0.05,
    "retry_after": 0,
    "lost_response_rate": 0.05,
    "lock_error_rate": 0.2,
}
Step = Callable[[str, Path], None]


def _emails(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(r["Email"] for r in sandbox.store.records("helpdesk", "Contact"))


def _file(path: Path) -> Path:
    lines = ["LastName,Email"]
    lines += [f"L{i},bad-u{i}" if i in BAD else f"L{i},u{i}@x.com" for i in range(1, ROWS + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _corrected_rejects(run_id: str, path: Path) -> Path:
    """The run's rejected.csv with every email corrected."""
    record = ledger().run(run_id, exact=True)
    assert record is not None
    with (Path(record.run_dir) / "rejected.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        row["Email"] = row["Email"].removeprefix("bad-") + "@x.com"
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def step_resume(run_id: str, _: Path) -> None:
    resume(run=run_id, return_state=True)  # refused (a failed state) when nothing is left


def step_retry(run_id: str, path: Path) -> None:
    """What the UI's Retry does: the run's flow again, under the same run id."""
    record = ledger().run(run_id, exact=True)
    assert record is not None
    run_load(path, "Contact", run_id=run_id, **_options(record.options))


def step_failed(run_id: str, _: Path) -> None:
    run_reprocess(run_id, only="failed")


def step_transient(run_id: str, _: Path) -> None:
    run_reprocess(run_id, only="transient")


def step_rejected(run_id: str, path: Path) -> None:
    run_reprocess(run_id, rejected_file=str(_corrected_rejects(run_id, path.with_name("fix.csv"))))


def _options(options: dict[str, Any]) -> dict[str, Any]:
    keep = ("chunk_size", "concurrency", "heal_rounds", "poll_budget_seconds", "settle_seconds")
    return {k: options[k] for k in keep if k in options}


STEPS: dict[str, Step] = {
    "resume": step_resume,
    "retry": step_retry,
    "failed": step_failed,
    "transient": step_transient,
    "rejected": step_rejected,
}
ORDERS = [
    ("resume", "failed", "rejected"),
    ("resume", "rejected", "failed"),
    ("failed", "resume", "rejected"),
    ("failed", "rejected", "resume"),
    ("rejected", "resume", "failed"),
    ("rejected", "failed", "resume"),
    ("transient", "retry", "failed"),
    ("retry", "transient", "rejected", "resume"),
]


@pytest.mark.parametrize("faults", [False, True], ids=["calm", "faults"])
@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_no_order_of_recovery_loads_a_row_twice_or_loses_one(
    start_sb: SandboxFactory,
    use_target: UseTarget,
    tmp_path: Path,
    order: tuple[str, ...],
    faults: bool,
) -> None:
    db = tmp_path / "crm.db"
    path = _file(tmp_path / "contacts.csv")
    # The run: record locks fail some rows (not healed), some jobs never finish within the
    # polling budget (their rows' fate is unknown), three rows are rejected.
    first = start_sb(db_path=db, seed=11, lock_error_rate=0.3, stuck_job_rate=0.3)
    use_target(first)
    _, summary = run_load(
        path, "Contact", chunk_size=10, concurrency=3, heal_rounds=0, poll_budget_seconds=1
    )
    run_id = summary.run_id
    left = ledger().rows(run_id)
    kinds = {
        "failed": [r for r in left if r.outcome is RowOutcome.FAILED],
        "unknown": [r for r in left if r.outcome is RowOutcome.UNKNOWN or fate_unknown(r.reason)],
        "rejected": [r for r in left if r.outcome is RowOutcome.REJECTED],
    }
    assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}  # the three at once
    first.stop()

    # The target comes back (the stuck jobs finish), calm or with faults.
    sandbox = start_sb(db_path=db, seed=5, **(FAULTS if faults else {}))
    use_target(sandbox)
    for name in order:
        STEPS[name](run_id, path)
        doubled = [e for e, n in _emails(sandbox).items() if n > 1]
        assert not doubled, f"after {name}: loaded twice: {doubled}"
        # Nor does the check at the target see one (no false alarm, whatever the order).
        seen = _audits(run_id)
        assert not {"doubled", "short"} & set(seen.values()), f"after {name}: {seen}"
    sandbox.stop()

    # A calm target at last: whatever is left is taken up, and every row is there once.
    calm = start_sb(db_path=db)
    use_target(calm)
    record = ledger().run(run_id, exact=True)
    assert record is not None
    if record.status not in {RunStatus.COMPLETED, RunStatus.PARTIAL}:
        step_resume(run_id, path)
    _finish_chain(run_id, path)
    emails = _emails(calm)
    assert max(emails.values()) == 1
    assert set(emails) == {f"u{i}@x.com" for i in range(1, ROWS + 1)}
    # The chain's last runs asked the target about every job of the file, and it agreed.
    seen = _audits(run_id)
    assert "confirmed" in seen.values() and not {"doubled", "short"} & set(seen.values()), seen


def _chain(run_id: str) -> list[str]:
    book = ledger()
    return [run_id, *(r for child in book.children(run_id) for r in _chain(child.run_id))]


def _audits(run_id: str) -> dict[str, str]:
    """What the target said after each run of the chain (its summary.json), by run."""
    book, seen = ledger(), {}
    for run in _chain(run_id):
        record = book.run(run, exact=True)
        assert record is not None
        summary = Path(record.run_dir) / "summary.json"
        if summary.exists():
            seen[run] = json.loads(summary.read_text())["audit"]["status"]
    return seen


def _finish_chain(run_id: str, path: Path) -> None:
    """Take up what each run of the chain left (rows of unknown fate by a resume, failed rows
    reprocessed as they are, rejected rows corrected), until nothing is left."""
    book = ledger()
    runs = [run_id]
    for _ in range(6):
        runs = _chain(run_id)
        holding = [r for r in runs if book.remaining(r)]
        if not holding:
            return
        for run in holding:
            # Rows whose fate is unknown (a resume under faults may leave some) are settled
            # by a resume of their run, as the run's summary tells the user.
            if any(r.outcome is RowOutcome.UNKNOWN for r in book.rows(run)):
                step_resume(run, path)
            step_failed(run, path)
            if any(r.outcome is RowOutcome.REJECTED for r in book.rows(run)):
                step_rejected(run, path)
    left = {
        r: [(row.line, row.outcome.value, row.reason[:90], row.claimed_by) for row in book.rows(r)]
        + [(c.number, c.state.value, c.rows, c.note) for c in book.chunks(r)]
        for r in runs
        if book.remaining(r)
    }
    raise AssertionError(f"rows still left after six rounds: {left}")
