"""The ledger's rows that did not load: recorded per run, claimed by reprocess runs, resolved
up the chain of runs when a later run loads them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, and_, func, insert, select, update

from hubload.ledger import tables
from hubload.ledger.records import ChunkState, RowOutcome, RowRecord, RunStatus

_BATCH = 500  # lines per IN (...): well under SQLite's bound-parameter limit


class RowBook:
    """The row side of the ledger (a part of ``Ledger``)."""

    engine: Engine

    def record_rows(self, run_id: str, rows: Iterable[RowRecord]) -> None:
        """Replace the run's left-over rows (rejected, failed or of unknown outcome), keeping
        what later runs did with them (a retried run records its rows again)."""
        with self.engine.begin() as conn:
            kept = {
                line: (claimed, resolved)
                for line, claimed, resolved in conn.execute(
                    select(
                        tables.rows.c.line, tables.rows.c.claimed_by, tables.rows.c.resolved_by
                    ).where(tables.rows.c.run_id == run_id)
                )
            }
            conn.execute(tables.rows.delete().where(tables.rows.c.run_id == run_id))
            batch = []
            for row in rows:
                claimed, resolved = kept.get(row.line, (None, None))
                batch.append(
                    {
                        **row.__dict__,
                        "outcome": row.outcome.value,
                        "run_id": run_id,
                        "claimed_by": claimed,
                        "resolved_by": resolved,
                    }
                )
            if batch:
                conn.execute(insert(tables.rows), batch)

    def record_lineage(self, run_id: str, pairs: Iterable[tuple[int, int]]) -> None:
        """Which line of a reprocess run's input is which line of the original file (the
        root of the chain of reprocess runs)."""
        with self.engine.begin() as conn:
            conn.execute(tables.lineage.delete().where(tables.lineage.c.run_id == run_id))
            batch = [
                {"run_id": run_id, "line": line, "parent_line": parent} for line, parent in pairs
            ]
            if batch:
                conn.execute(insert(tables.lineage), batch)

    def lineage(self, run_id: str) -> dict[int, int]:
        """A reprocess run's input lines and the original file's lines they are."""
        with self.engine.connect() as conn:
            pairs = conn.execute(
                select(tables.lineage.c.line, tables.lineage.c.parent_line).where(
                    tables.lineage.c.run_id == run_id
                )
            )
            return {int(line): int(parent) for line, parent in pairs}

    def rows(self, run_id: str, *, unresolved: bool = True) -> list[RowRecord]:
        """The run's left-over rows (by default only those no later run loaded)."""
        query = select(tables.rows).where(tables.rows.c.run_id == run_id)
        if unresolved:
            query = query.where(tables.rows.c.resolved_by.is_(None))
        with self.engine.connect() as conn:
            found = conn.execute(query.order_by(tables.rows.c.line)).mappings()
            return [_row(r) for r in found]

    def claim_rows(self, run_id: str, lines: list[int], child: str) -> list[int]:
        """Hand unresolved rows of ``run_id`` over to the reprocess run ``child``; returns the
        lines it got. A row stays with the run that took it, loaded or not (its left-overs are
        that run's to reprocess), unless that run failed before sending anything.

        One conditional UPDATE per batch, so two runs claiming at once never both get a row
        (SQLite serializes writers; PostgreSQL re-checks the condition on the locked row).
        """
        sent = select(tables.chunks.c.run_id).where(
            tables.chunks.c.state.not_in([ChunkState.STAGED, ChunkState.FAILED])
        )
        stopped = [RunStatus.FAILED.value, RunStatus.INTERRUPTED.value]
        abandoned = select(tables.runs.c.run_id).where(
            and_(tables.runs.c.status.in_(stopped), tables.runs.c.run_id.not_in(sent))
        )
        known = select(tables.runs.c.run_id)
        got: list[int] = []
        with self.engine.begin() as conn:
            for start in range(0, len(lines), _BATCH):
                batch = lines[start : start + _BATCH]
                mine = and_(
                    tables.rows.c.run_id == run_id,
                    tables.rows.c.line.in_(batch),
                    tables.rows.c.resolved_by.is_(None),
                )
                conn.execute(
                    update(tables.rows)
                    .where(
                        and_(
                            mine,
                            tables.rows.c.claimed_by.is_(None)
                            | tables.rows.c.claimed_by.in_(abandoned)
                            | tables.rows.c.claimed_by.not_in(known),
                        )
                    )
                    .values(claimed_by=child)
                )
                got += conn.execute(
                    select(tables.rows.c.line).where(and_(mine, tables.rows.c.claimed_by == child))
                ).scalars()
        return sorted(got)

    def held_elsewhere(self, run_id: str) -> int:
        """Unresolved rows of the run that a reprocess run took over."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(tables.rows)
                .where(
                    and_(
                        tables.rows.c.run_id == run_id,
                        tables.rows.c.resolved_by.is_(None),
                        tables.rows.c.claimed_by.is_not(None),
                    )
                )
            ).scalar_one()
        return int(count)

    def resolve_rows(self, run_id: str, lines: Iterable[int], child: str) -> int:
        """Mark rows as loaded by ``child``; returns how many."""
        wanted = list(lines)
        done = 0
        with self.engine.begin() as conn:
            for start in range(0, len(wanted), _BATCH):
                result = conn.execute(
                    update(tables.rows)
                    .where(
                        and_(
                            tables.rows.c.run_id == run_id,
                            tables.rows.c.line.in_(wanted[start : start + _BATCH]),
                            tables.rows.c.resolved_by.is_(None),
                        )
                    )
                    .values(resolved_by=child)
                )
                done += int(result.rowcount or 0)
        return done

    def resolve_upwards(self, run_id: str, loaded_lines: Iterable[int]) -> dict[str, int]:
        """A reprocess run loaded these lines (of the original file: every run of a chain
        names its rows so): resolve them in its parent, and in the parent's parent, up the
        chain. Returns rows resolved per run."""
        resolved: dict[str, int] = {}
        lines = list(loaded_lines)
        parent = self._parent_of(run_id)
        while parent is not None and lines:
            resolved[parent] = self.resolve_rows(parent, lines, run_id)
            parent = self._parent_of(parent)
        return resolved

    def _parent_of(self, run_id: str) -> str | None:
        with self.engine.connect() as conn:
            parent = conn.execute(
                select(tables.runs.c.parent_run_id).where(tables.runs.c.run_id == run_id)
            ).scalar_one_or_none()
        return str(parent) if parent else None

    def taken_lines(self, run_id: str) -> set[int]:
        """Lines of the run that a later run took over (claimed) or loaded (resolved): this
        run must never send them again."""
        rows = tables.rows.c
        query = select(rows.line).where(
            and_(
                rows.run_id == run_id, rows.claimed_by.is_not(None) | rows.resolved_by.is_not(None)
            )
        )
        with self.engine.connect() as conn:
            return {int(line) for line in conn.execute(query).scalars()}

    def remaining(self, run_id: str) -> int:
        """Rows of the run that no run has loaded yet: its left-over rows not resolved, and,
        while it has not finished (stopped or crashed part-way), the rows of its chunks that
        never reached an end."""
        chunks, runs = tables.chunks.c, tables.runs.c
        with self.engine.connect() as conn:
            left = conn.execute(
                select(func.count())
                .select_from(tables.rows)
                .where(and_(tables.rows.c.run_id == run_id, tables.rows.c.resolved_by.is_(None)))
            ).scalar_one()
            status = conn.execute(
                select(runs.status).where(runs.run_id == run_id)
            ).scalar_one_or_none()
            if status in {RunStatus.COMPLETED.value, RunStatus.PARTIAL.value}:
                return int(left)  # a finished run recorded every row it did not load
            ended = [ChunkState.DONE.value, ChunkState.FOUND.value]
            unsent = conn.execute(
                select(func.coalesce(func.sum(chunks.rows), 0)).where(
                    and_(chunks.run_id == run_id, chunks.state.not_in(ended))
                )
            ).scalar_one()
        return int(left) + int(unsent)


def _row(row: Any) -> RowRecord:
    data = dict(row)
    data.pop("run_id", None)
    data["outcome"] = RowOutcome(data["outcome"])
    return RowRecord(**data)
