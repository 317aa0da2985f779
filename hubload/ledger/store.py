"""Reading and writing the ledger: runs, their chunks (write-ahead), and the rows left over."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, create_engine, event, func, insert, make_url, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from hubload.errors import ConfigError
from hubload.ledger import tables
from hubload.settings import Settings

_BLOCK = 1 << 20
_BATCH = 500  # lines per IN (...): well under SQLite's bound-parameter limit


def file_sha256(path: Path) -> str:
    """The content hash of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


# The `load` flow's settings a run records in its options, to be run again with them.
LOAD_OPTIONS = (
    "chunk_size",
    "concurrency",
    "poll_budget_seconds",
    "serial",
    "delimiter",
    "encoding",
    "report_dir",
    "target_block",
    "match_key",
    "settle_seconds",
)


@dataclass(frozen=True)
class RunRecord:
    """One load (or reprocess) as the ledger knows it."""

    run_id: str
    kind: str
    file: str
    file_sha256: str
    hub: str
    object: str
    operation: str
    external_id: str | None
    mapping: str | None
    options: dict[str, Any]
    run_dir: str
    status: str = "running"
    parent_run_id: str | None = None
    flow_run_id: str | None = None
    read: int | None = None
    succeeded: int | None = None
    rejected: int | None = None
    failed: int | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def load_parameters(self) -> dict[str, Any]:
        """The parameters of the `load` flow that ran this run: its file, target and recorded
        settings (a setting it did not record takes the flow's default)."""
        return {
            "file": self.file,
            "object_name": self.object,
            "hub": self.hub,
            "mapping": self.mapping,
            "operation": self.operation,
            "external_id": self.external_id,
            **{name: self.options[name] for name in LOAD_OPTIONS if name in self.options},
            "run_id": self.run_id,
            "parent_run": self.parent_run_id,
        }


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk's submission state: what the target was asked, and what it answered."""

    run_id: str
    number: int
    rows: int
    sha256: str
    state: str
    job_id: str | None
    attempts: int
    job_status: str | None = None
    succeeded: int | None = None
    failed: int | None = None
    note: str | None = None
    preexisting: int | None = None


@dataclass(frozen=True)
class RowRecord:
    """A row that did not load, by its source line."""

    line: int
    outcome: str
    reason: str
    transient: bool = False
    claimed_by: str | None = None
    resolved_by: str | None = None


class Ledger:
    """hubload's record of what it loaded; one per home, or one shared database URL."""

    def __init__(self, url: str) -> None:
        """Open (and create the tables of) the ledger at ``url``.

        Raises:
            ConfigError: the URL is malformed, its driver is missing, or the database refuses.
        """
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")  # the driver we ship
        try:
            parsed = make_url(url)
        except (SQLAlchemyError, ValueError) as exc:  # its text would show the URL
            raise ConfigError(f"run ledger: malformed URL ({type(exc).__name__})") from None
        shown = parsed.render_as_string(hide_password=True)
        if "@" in (parsed.host or ""):  # the rest of the password would be taken for the host
            raise ConfigError("run ledger: malformed URL (percent-encode '@' in the password)")
        try:
            self.engine: Engine = create_engine(parsed)
            if parsed.drivername.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            tables.metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(f"run ledger at {shown}: {type(exc).__name__}: {first}") from exc

    @classmethod
    def from_settings(cls) -> Ledger:
        """The ledger of the current settings (``HUBLOAD_LEDGER_URL``, else
        ``<home>/ledger.db``)."""
        return cls(Settings().resolved_ledger_url())

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files (the nightly inbox) --------------------------------------------------------------

    def loaded_file(self, sha256: str) -> dict[str, str] | None:
        """The earlier load of a file with this content, if any."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(tables.files).where(tables.files.c.sha256 == sha256))
                .mappings()
                .first()
            )
        return {k: str(v) for k, v in row.items()} if row else None

    def record_file(self, sha256: str, path: Path, hub: str, object_name: str, run_id: str) -> bool:
        """Remember that this content was loaded; False if it already was (kept as it was)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(tables.files).values(
                        sha256=sha256,
                        path=str(path),
                        hub=hub,
                        object=object_name,
                        run_id=run_id,
                        loaded_at=_now(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def forget_file(self, sha256: str) -> None:
        """Drop a file's record (a forced reload records it again)."""
        with self.engine.begin() as conn:
            conn.execute(tables.files.delete().where(tables.files.c.sha256 == sha256))

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> RunRecord:
        """Record a new run, or return the one already recorded under its id (a resumed run).

        Raises:
            ConfigError: a run of that id exists for another file content or target.
        """
        existing = self.run(run.run_id, exact=True)
        if existing is not None and not existing.file_sha256:
            # Registered before its input existed (a reprocess run): its hash is known now.
            with self.engine.begin() as conn:
                conn.execute(
                    update(tables.runs)
                    .where(tables.runs.c.run_id == run.run_id)
                    .values(file_sha256=run.file_sha256)
                )
            existing = self.run(run.run_id, exact=True)
        if existing is not None:
            if (existing.file_sha256, existing.hub, existing.object) != (
                run.file_sha256,
                run.hub,
                run.object,
            ):
                raise ConfigError(
                    f"run {run.run_id} was for other content or another target: the file changed "
                    "since, so it cannot be resumed"
                )
            # The options are those of the run now taking it up (its process, its settings).
            resumed = replace(
                existing,
                status="running",
                flow_run_id=run.flow_run_id or existing.flow_run_id,
                options=run.options,
            )
            with self.engine.begin() as conn:
                conn.execute(
                    update(tables.runs)
                    .where(tables.runs.c.run_id == run.run_id)
                    .values(
                        status=resumed.status,
                        flow_run_id=resumed.flow_run_id,
                        options=json.dumps(resumed.options),
                    )
                )
            return resumed
        values = {**run.__dict__, "options": json.dumps(run.options), "started_at": _now()}
        with self.engine.begin() as conn:
            conn.execute(insert(tables.runs).values(**values))
        return run

    def finish_run(self, run_id: str, status: str, **counts: int | str | None) -> None:
        """Record how a run ended (counts: read, succeeded, rejected, failed, message)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.runs)
                .where(tables.runs.c.run_id == run_id)
                .values(status=status, finished_at=_now(), **counts)
            )

    def run(self, run_id: str, *, exact: bool = False) -> RunRecord | None:
        """A run by id (or, unless ``exact``, by a unique prefix of it)."""
        column = tables.runs.c.run_id
        where = column == run_id if exact else column.startswith(run_id)
        with self.engine.connect() as conn:
            found = list(conn.execute(select(tables.runs).where(where)).mappings().all())
        same = [r for r in found if r["run_id"] == run_id]
        rows = same or found
        return _run(rows[0]) if len(rows) == 1 else None

    def drop_run(self, run_id: str) -> None:
        """Forget a run that never did anything (a reprocess run that found nothing to do)."""
        with self.engine.begin() as conn:
            conn.execute(tables.lineage.delete().where(tables.lineage.c.run_id == run_id))
            conn.execute(tables.runs.delete().where(tables.runs.c.run_id == run_id))

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The most recent runs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tables.runs).order_by(tables.runs.c.started_at.desc()).limit(limit)
            ).mappings()
            return [_run(r) for r in rows]

    def children(self, run_id: str) -> list[RunRecord]:
        """The reprocess runs of a run, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tables.runs)
                .where(tables.runs.c.parent_run_id == run_id)
                .order_by(tables.runs.c.started_at)
            ).mappings()
            return [_run(r) for r in rows]

    # -- chunks ---------------------------------------------------------------------------------

    def stage_chunks(self, run_id: str, staged: Iterable[tuple[int, int, str]]) -> None:
        """Record the staged chunks (number, rows, sha256); a resumed run must stage the same.

        Raises:
            ConfigError: a chunk's content differs from the one recorded (the file changed).
        """
        known = {c.number: c for c in self.chunks(run_id)}
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
                            state="staged",
                            attempts=0,
                            updated_at=_now(),
                        )
                    )
                elif before.sha256 != sha:
                    raise ConfigError(
                        f"run {run_id}: chunk {number} differs from the one recorded; the file or "
                        "the mapping changed, so the run cannot be resumed"
                    )

    def chunks(self, run_id: str) -> list[ChunkRecord]:
        """The run's chunks in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tables.chunks)
                .where(tables.chunks.c.run_id == run_id)
                .order_by(tables.chunks.c.number)
            ).mappings()
            return [_chunk(r) for r in rows]

    def chunk(self, run_id: str, number: int) -> ChunkRecord | None:
        """One chunk of a run."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(tables.chunks).where(
                        and_(tables.chunks.c.run_id == run_id, tables.chunks.c.number == number)
                    )
                )
                .mappings()
                .first()
            )
        return _chunk(row) if row else None

    def mark_chunk(self, run_id: str, number: int, state: str, **values: Any) -> None:
        """Move a chunk to ``state`` (with job_id, job_status, succeeded, failed, note)."""
        extra = {"attempts": tables.chunks.c.attempts + 1} if state == "submitting" else {}
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.chunks)
                .where(and_(tables.chunks.c.run_id == run_id, tables.chunks.c.number == number))
                .values(state=state, updated_at=_now(), **extra, **values)
            )

    # -- rows -----------------------------------------------------------------------------------

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
                        "run_id": run_id,
                        "claimed_by": claimed,
                        "resolved_by": resolved,
                    }
                )
            if batch:
                conn.execute(insert(tables.rows), batch)

    def record_lineage(self, run_id: str, pairs: Iterable[tuple[int, int]]) -> None:
        """Which line of a reprocess run's input came from which line of its parent's file."""
        with self.engine.begin() as conn:
            conn.execute(tables.lineage.delete().where(tables.lineage.c.run_id == run_id))
            batch = [
                {"run_id": run_id, "line": line, "parent_line": parent} for line, parent in pairs
            ]
            if batch:
                conn.execute(insert(tables.lineage), batch)

    def lineage(self, run_id: str) -> dict[int, int]:
        """A reprocess run's input lines and the parent lines they came from."""
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
            tables.chunks.c.state.not_in(["staged", "failed"])
        )
        abandoned = select(tables.runs.c.run_id).where(
            and_(tables.runs.c.status == "failed", tables.runs.c.run_id.not_in(sent))
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
        """A reprocess run loaded these lines of its input: resolve the rows they came from in
        its parent, and in the parent's parent, up the chain. Returns rows resolved per run."""
        resolved: dict[str, int] = {}
        current = self.run(run_id)
        lines = list(loaded_lines)
        while current is not None and current.parent_run_id and lines:
            lineage = self.lineage(current.run_id)
            lines = [lineage[line] for line in lines if line in lineage]
            resolved[current.parent_run_id] = self.resolve_rows(
                current.parent_run_id, lines, run_id
            )
            current = self.run(current.parent_run_id)
        return resolved

    def remaining(self, run_id: str) -> int:
        """Rows of the run that no run has loaded yet."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(tables.rows)
                .where(and_(tables.rows.c.run_id == run_id, tables.rows.c.resolved_by.is_(None)))
            ).scalar_one()
        return int(count)


def _run(row: Any) -> RunRecord:
    data = dict(row)
    data["options"] = json.loads(data["options"] or "{}")
    return RunRecord(**data)


def _chunk(row: Any) -> ChunkRecord:
    data = dict(row)
    data.pop("updated_at", None)
    return ChunkRecord(**data)


def _row(row: Any) -> RowRecord:
    data = dict(row)
    data.pop("run_id", None)
    return RowRecord(**data)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
