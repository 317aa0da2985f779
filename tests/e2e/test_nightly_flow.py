"""The nightly flow in-process: transient failures of earlier loads reprocessed automatically."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.helpers import MAPPINGS, SEED, ledger

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


def run_nightly(config: Path) -> object:
    from flows.nightly import nightly  # noqa: PLC0415

    return nightly(config=str(config), return_state=True)


def test_nightly_reprocesses_yesterdays_transient_failures(
    start_sb: SandboxFactory, use_target: Callable[[RunningSandbox], Path], tmp_path: Path
) -> None:
    db = tmp_path / "crm.db"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "nightly.yaml"
    config.write_text(
        f"inbox: {inbox}\nreprocess_transient: true\nsources:\n"
        f"  - {{pattern: '*.csv', hub: marketing, object: contact, heal_rounds: 0, "
        f"mapping: {MAPPINGS / 'marketing_contact.yaml'}}}\n"
    )
    locked = start_sb(db_path=db, lock_error_rate=1.0)
    use_target(locked)
    shutil.copy(SEED, inbox / "contacts.csv")
    first = run_nightly(config)
    assert first.is_completed()  # type: ignore[attr-defined]
    (run,) = ledger().runs()
    assert run.status == "partial" and run.failed == 9
    locked.stop()

    calm = start_sb(db_path=db)  # the locks are gone by the next night
    use_target(calm)
    second = run_nightly(config)
    assert second.is_completed(), second.message  # type: ignore[attr-defined]
    assert ledger().remaining(run.run_id) == 1  # only the rejected row is left
    assert calm.store.count_records("marketing", "contact") == 9
    third = run_nightly(config)  # nothing transient is left: nothing is loaded again
    assert third.is_completed()  # type: ignore[attr-defined]
    assert calm.store.count_records("marketing", "contact") == 9
