"""Whether a recorded run can be taken up again (``resume``), from the CLI or the UI."""

from __future__ import annotations

from hubload.errors import ConfigError
from hubload.ledger import Ledger, RowOutcome, RunRecord, RunStatus


def find_run(book: Ledger, ref: str) -> RunRecord:
    """The run named by ``ref``: the ledger's run id or the Prefect flow-run id (the run
    page's URL), or a unique prefix of either.

    Raises:
        ConfigError: no such run (an ambiguous prefix raises ``AmbiguousRunError``, a
            ``ConfigError``).
    """
    record = book.run(ref)
    if record is None:
        raise ConfigError(f"no run {ref!r} in the ledger ({book.display_url})")
    return record


def check_resumable(book: Ledger, record: RunRecord, alive: str | None) -> None:
    """Refuse to take up a run that still runs (``alive`` says why it may), or has nothing
    left to take up.

    Raises:
        ConfigError: it cannot be resumed (one line, naming what to do instead).
    """
    if alive:
        raise ConfigError(f"run {record.run_id} {alive}: resume it once it has stopped (or force)")
    undecided = [r for r in book.rows(record.run_id) if r.outcome is RowOutcome.UNKNOWN]
    if record.status is RunStatus.COMPLETED or (
        record.status is RunStatus.PARTIAL and not undecided
    ):
        raise ConfigError(
            f"run {record.run_id} ended {record.status}: nothing to resume (reprocess loads "
            "its left-over rows)"
        )
