"""What the target says of the rows a file's chain of runs loaded: the verdict of the check
after a load (see ``hubload.chain_audit``), and how records and rows are weighed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

_SHOWN = 5


class AuditStatus(StrEnum):
    """What the target said of the rows a file's chain of runs loaded."""

    NOT_NEEDED = "not-needed"
    """Each row was sent once, in one job (or resending is harmless): nothing to ask."""
    CONFIRMED = "confirmed"
    """The chain's jobs created exactly the rows it counts as loaded."""
    UNSETTLED = "unsettled"
    """No more records than rows loaded, beyond rows of unknown fate (a resume settles them)."""
    UNCHECKED = "unchecked"
    """The target could not say (a job unfinished or gone, a run of the chain still running)."""
    DOUBLED = "doubled"
    """More records than rows loaded: some row was loaded twice."""
    SHORT = "short"
    """Fewer records than rows counted as loaded."""

    @property
    def is_problem(self) -> bool:
        """Whether the rows do not reconcile at the target."""
        return self in {AuditStatus.DOUBLED, AuditStatus.SHORT}

    @property
    def confirms(self) -> bool:
        """Whether the check leaves nothing unseen (a duplicate would have shown)."""
        return self in {AuditStatus.NOT_NEEDED, AuditStatus.CONFIRMED}


@dataclass(frozen=True)
class Audit:
    """The check's answer, in a sentence; the records and rows it compared."""

    status: AuditStatus
    note: str
    jobs: int = 0
    """Jobs the target was asked about."""
    records: int = 0
    """Records the chain's jobs created (and rows found at the target by key)."""
    loaded: int = 0
    """Rows of the file the chain counts as loaded (each once)."""


NOT_NEEDED = Audit(
    AuditStatus.NOT_NEEDED, "each row was sent once, in one job: its job's counts are the check"
)


def judge(
    *,
    loaded: int,
    unknown: int,
    records: int,
    jobs: int,
    doubled: Iterable[int],
    stray: Mapping[str, int] | None = None,
) -> Audit:
    """Compare the records the target's jobs created with the rows loaded (``unknown`` of them
    possibly at the target unbeknown to the ledger; ``doubled``: lines the ledger itself shows
    loaded by two runs; ``stray``: records of jobs no run recorded, counted in ``records``)."""
    lines = sorted(doubled)
    extra = records - loaded
    said = f"the target's {jobs} job(s) for this file created {records} records"
    if stray:
        ids = ", ".join(sorted(stray)[:_SHOWN])
        said += (
            f" ({sum(stray.values())} of them by job(s) {ids}, which no run recorded, made on "
            "the object during an upload of this file: an upload whose answer was lost, sent "
            "again; or another tool loading the object at that time)"
        )
    counted = f"{loaded} rows counted as loaded"
    base = {"jobs": jobs, "records": records, "loaded": loaded}
    if lines or extra > unknown:
        twice = max(len(lines), extra - unknown)
        among = "among them " if len(lines) < twice else ""
        named = f" ({among}lines {_some(lines)})" if lines else ""
        note = f"{twice} row(s) loaded twice{named}: {said} for {counted}"
        return Audit(AuditStatus.DOUBLED, note, **base)
    if extra < 0:
        note = f"{said}, {-extra} fewer than the {counted}"
        return Audit(AuditStatus.SHORT, note, **base)
    if extra > 0:
        note = (
            f"{said} for {counted}: {extra} of the {unknown} rows of unknown fate are at the "
            "target; resume the run to settle them"
        )
        return Audit(AuditStatus.UNSETTLED, note, **base)
    return Audit(AuditStatus.CONFIRMED, f"{said}, one for each of the {counted}", **base)


def _some(lines: list[int]) -> str:
    more = f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else ""
    return ", ".join(map(str, lines[:_SHOWN])) + more
