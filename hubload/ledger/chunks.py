"""The ledger's chunks: each staged upload and its submission, written ahead of every step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update

from hubload.errors import ConfigError
from hubload.ledger import tables
from hubload.ledger.records import ChunkRecord, ChunkState


def now() -> datetime:
    """The ledger's clock (UTC)."""
    return datetime.now(UTC)


class ChunkBook:
    """The chunk side of the ledger (a part of ``Ledger``)."""

    engine: Engine

    def stage_chunks(self, run_id: str, staged: Iterable[tuple[int, int, str]]) -> None:
        """Record staged chunks (number, rows, sha256); a resumed run must stage the same.

        Raises:
            ConfigError: a chunk's content differs from the one recorded (the file changed).
        """
        staged = list(staged)
        known = {c.number: c for c in self.chunks(run_id, numbers=[n for n, _, _ in staged])}
        with self.engine.begin() as conn:
            for number, rows, sha in staged:
                before = known.get(number)
                if before is None:
                    conn.execute(
                        insert(tables.chunks).values(
                            run_id=run_id,
                            number=number,
                            rows=rows,
                            sha256=sha,
                            state=ChunkState.STAGED.value,
                            attempts=0,
                            staged_at=now(),
                            updated_at=now(),
                        )
                    )
                elif before.sha256 != sha:
                    raise ConfigError(
                        f"run {run_id}: chunk {number} differs from the one recorded; the file or "
                        "the mapping changed, so the run cannot be resumed"
                    )

    def chunks(self, run_id: str, numbers: list[int] | None = None) -> list[ChunkRecord]:
        """The run's chunks in order (only those ``numbers``, when given)."""
        where = tables.chunks.c.run_id == run_id
        if numbers is not None:
            where = and_(where, tables.chunks.c.number.in_(numbers))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tables.chunks).where(where).order_by(tables.chunks.c.number)
            ).mappings()
            return [_chunk(r) for r in rows]

    def chunk(self, run_id: str, number: int) -> ChunkRecord | None:
        """One chunk of a run."""
        with self.engine.connect() as conn:
            row = conn.execute(select(tables.chunks).where(_one(run_id, number))).mappings().first()
        return _chunk(row) if row else None

    def mark_chunk(self, run_id: str, number: int, state: ChunkState, **values: Any) -> None:
        """Move a chunk to ``state`` (with job_id, job_status, succeeded, failed, note). Marking
        it ``submitting`` counts an attempt and records when it began."""
        extra: dict[str, Any] = {}
        if state is ChunkState.SUBMITTING:
            extra = {"attempts": tables.chunks.c.attempts + 1, "attempt_started_at": now()}
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.chunks)
                .where(_one(run_id, number))
                .values(state=state.value, updated_at=now(), **extra, **values)
            )

    def record_job(self, run_id: str, number: int, job_id: str) -> None:
        """The job the target named for the chunk's current attempt, before its data are sent."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.chunks)
                .where(_one(run_id, number))
                .values(job_id=job_id, updated_at=now())
            )

    def job_ids(self, target: str, object_name: str) -> frozenset[str]:
        """Every job the ledger knows on a target object (from any run)."""
        query = (
            select(tables.chunks.c.job_id)
            .join(tables.runs, tables.runs.c.run_id == tables.chunks.c.run_id)
            .where(
                and_(
                    tables.runs.c.target == target,
                    tables.runs.c.object == object_name,
                    tables.chunks.c.job_id.is_not(None),
                )
            )
        )
        with self.engine.connect() as conn:
            return frozenset(str(j) for j in conn.execute(query).scalars())


def _one(run_id: str, number: int) -> Any:
    return and_(tables.chunks.c.run_id == run_id, tables.chunks.c.number == number)


def _chunk(row: Any) -> ChunkRecord:
    data = dict(row)
    data.pop("updated_at", None)
    data["state"] = ChunkState(data["state"])
    return ChunkRecord(**data)
