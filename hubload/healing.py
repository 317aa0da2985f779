"""Healing within a run: rows that failed for a passing reason are sent again, in new chunks,
a bounded number of rounds, before anything is left for the user.

A row heals when the target's error is transient (``UNABLE_TO_LOCK_ROW``, a row a job never
processed...), or when its whole chunk failed for a passing reason: the upload was refused with
a retriable error after its retries (``SUBMIT_FAILED``), or the platform failed the job
(``JOB_ERROR``, ``JOB_ABORTED``: nothing of it was loaded). Rows of unknown fate never heal
here: sending them again could load them twice (resume settles them).

A healing chunk is staged like any chunk (the exact rows as first uploaded, with their source
lines), numbered ``round * HEAL_BASE + k`` so that a resumed run stages the same ones, and its
rows' outcome replaces the failure they had.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from hubload.outcomes import ChunkOutcome, FailedRow
from hubload.records import TRANSIENT_CODES, parse_error_text
from hubload.staging import StagedChunk

HEAL_ROUNDS = 3
HEAL_BASE = 100_000
"""Healing chunks of round r are numbered from ``r * HEAL_BASE``: never an original chunk's."""
CHUNK_TRANSIENT = frozenset({"SUBMIT_FAILED", "JOB_ERROR", "JOB_ABORTED"})
LOCKING = "UNABLE_TO_LOCK_ROW"


@dataclass(frozen=True)
class Healing:
    """What healing did in a run: the rows it sent again and loaded, in how many rounds, and
    the chunks it staged for them."""

    healed: int = 0
    rounds: int = 0
    chunks: tuple[StagedChunk, ...] = ()


def heals(reason: str) -> bool:
    """Whether a failed row's reason is one to send it again for, within the run."""
    code = reason.partition(":")[0].strip()
    if code in CHUNK_TRANSIENT:
        return True
    return parse_error_text(reason)[0] in TRANSIENT_CODES or any(
        parse_error_text(part.strip())[0] in TRANSIENT_CODES for part in reason.split(" | ")
    )


@dataclass(frozen=True)
class Patient:
    """Rows of one chunk to send again: their positions and why they failed."""

    chunk: StagedChunk
    positions: dict[int, str]


def patients(chunks: list[StagedChunk], outcomes: dict[int, ChunkOutcome]) -> list[Patient]:
    """The rows to heal, chunk by chunk, in order."""
    found = []
    for chunk in chunks:
        outcome = outcomes.get(chunk.number)
        if outcome is None or outcome.failed == 0:
            continue
        if outcome.all_failed_reason is not None:
            wanted = (
                dict.fromkeys(range(1, chunk.rows + 1), outcome.all_failed_reason)
                if heals(outcome.all_failed_reason)
                else {}
            )
        else:
            wanted = {
                f.record_number: f.error
                for f in outcome.failed_rows
                if f.record_number is not None and heals(f.error)
            }
        if wanted:
            found.append(Patient(chunk, wanted))
    return found


def locking(found: list[Patient]) -> bool:
    """Whether record locks were among the reasons (then the next round runs serially)."""
    return any(LOCKING in reason for p in found for reason in p.positions.values())


def stage_round(
    found: list[Patient], round_number: int, chunk_rows: int, chunk_dir: Path
) -> list[StagedChunk]:
    """The healing chunks of a round: the patients' rows as first uploaded, at most
    ``chunk_rows`` to a chunk."""
    rows: list[tuple[list[str], list[str]]] = []
    header: list[str] = []
    for patient in found:
        header, uploaded = _rows(patient.chunk.path, header=True)
        _, sources = _rows(patient.chunk.sidecar, header=False)
        for position in sorted(patient.positions):
            rows.append((uploaded[position - 1], sources[position - 1]))
    staged = []
    for k, start in enumerate(range(0, len(rows), chunk_rows), start=1):
        number = round_number * HEAL_BASE + k
        part = rows[start : start + chunk_rows]
        path = chunk_dir / f"chunk-{number:07d}.csv"
        sidecar = chunk_dir / f"chunk-{number:07d}.source.csv"
        _write(path, [header, *(row for row, _ in part)])
        _write(sidecar, [source for _, source in part])
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        staged.append(
            StagedChunk(number=number, path=path, sidecar=sidecar, rows=len(part), sha256=sha)
        )
    return staged


def discharge(outcome: ChunkOutcome, chunk: StagedChunk, moved: set[int]) -> ChunkOutcome:
    """The outcome of a chunk whose rows at ``moved`` went to a healing chunk: they are that
    chunk's to account for now."""
    if outcome.all_failed_reason is not None:
        left = tuple(
            FailedRow(n, outcome.all_failed_reason)
            for n in range(1, chunk.rows + 1)
            if n not in moved
        )
        return replace(
            outcome, all_failed_reason=None, failed_rows=left, moved=tuple(sorted(moved))
        )
    left = tuple(f for f in outcome.failed_rows if f.record_number not in moved)
    return replace(outcome, failed_rows=left, moved=(*outcome.moved, *sorted(moved)))


def _rows(path: Path, *, header: bool) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        first = next(reader, []) if header else []
        return first, list(reader)


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
