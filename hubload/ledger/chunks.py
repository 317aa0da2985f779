"""The ledger's chunks: each staged upload and its submission, written ahead of every step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select, union, update

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
        begun = now()
        if state is ChunkState.SUBMITTING:
            extra = {"attempts": tables.chunks.c.attempts + 1, "attempt_started_at": begun}
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.chunks)
                .where(_one(run_id, number))
                .values(state=state.value, updated_at=now(), **extra, **values)
            )
            if extra:
                conn.execute(
                    insert(tables.attempts).values(run_id=run_id, number=number, started_at=begun)
                )
            if values.get("job_id"):
                _remember_job(conn, run_id, number, str(values["job_id"]))

    def record_job(self, run_id: str, number: int, job_id: str) -> None:
        """The job the target named for the chunk's current attempt, before its data are sent."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.chunks)
                .where(_one(run_id, number))
                .values(job_id=job_id, updated_at=now())
            )
            _remember_job(conn, run_id, number, job_id)

    def chunk_jobs(self, run_id: str) -> dict[int, set[str]]:
        """Every job each chunk of the run became, over all its attempts (the chunk's latest
        job included, for runs recorded before every job was kept)."""
        found: dict[int, set[str]] = {}
        with self.engine.connect() as conn:
            history = conn.execute(
                select(tables.chunk_jobs.c.number, tables.chunk_jobs.c.job_id).where(
                    tables.chunk_jobs.c.run_id == run_id
                )
            )
            latest = conn.execute(
                select(tables.chunks.c.number, tables.chunks.c.job_id).where(
                    and_(tables.chunks.c.run_id == run_id, tables.chunks.c.job_id.is_not(None))
                )
            )
            for number, job_id in [*history, *latest]:
                found.setdefault(int(number), set()).add(str(job_id))
        return found

    def attempt_times(self, run_id: str) -> list[datetime]:
        """When each upload attempt of the run's chunks began, oldest first (the chunks' latest
        attempts included, for runs recorded before every attempt was kept)."""
        with self.engine.connect() as conn:
            every = conn.execute(
                select(tables.attempts.c.started_at).where(tables.attempts.c.run_id == run_id)
            )
            latest = conn.execute(
                select(tables.chunks.c.attempt_started_at).where(
                    and_(
                        tables.chunks.c.run_id == run_id,
                        tables.chunks.c.attempt_started_at.is_not(None),
                    )
                )
            )
            return sorted({t for (t,) in [*every, *latest]})

    def job_ids(self, target: str, object_name: str) -> frozenset[str]:
        """Every job the ledger knows on a target object (from any run, any attempt)."""
        runs = tables.runs.c
        ours = select(runs.run_id).where(and_(runs.target == target, runs.object == object_name))
        latest = select(tables.chunks.c.job_id).where(
            and_(tables.chunks.c.run_id.in_(ours), tables.chunks.c.job_id.is_not(None))
        )
        earlier = select(tables.chunk_jobs.c.job_id).where(tables.chunk_jobs.c.run_id.in_(ours))
        with self.engine.connect() as conn:
            return frozenset(str(j) for j in conn.execute(union(latest, earlier)).scalars())


def _remember_job(conn: Connection, run_id: str, number: int, job_id: str) -> None:
    known = select(tables.chunk_jobs.c.job_id).where(
        and_(
            tables.chunk_jobs.c.run_id == run_id,
            tables.chunk_jobs.c.number == number,
            tables.chunk_jobs.c.job_id == job_id,
        )
    )
    if conn.execute(known).first() is None:
        conn.execute(insert(tables.chunk_jobs).values(run_id=run_id, number=number, job_id=job_id))


def _one(run_id: str, number: int) -> Any:
    return and_(tables.chunks.c.run_id == run_id, tables.chunks.c.number == number)


def _chunk(row: Any) -> ChunkRecord:
    data = dict(row)
    data.pop("updated_at", None)
    data["state"] = ChunkState(data["state"])
    return ChunkRecord(**data)
