"""The ledger itself: one database (a SQLite file, or any SQLAlchemy URL such as PostgreSQL),
its runs and the contents it loaded; chunks and rows are its other parts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    create_engine,
    event,
    insert,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from hubload.errors import ConfigError
from hubload.ledger import tables
from hubload.ledger.chunks import ChunkBook, now
from hubload.ledger.migrate import migrate
from hubload.ledger.records import ChunkState, RunKind, RunRecord, RunStatus, same_target
from hubload.ledger.rows import RowBook
from hubload.settings import Settings
from hubload.targets.base import TargetIdentity

_PG_MIGRATION_LOCK = 7_294_001  # an advisory lock id: one process migrates at a time


class AmbiguousRunError(ConfigError):
    """A run-id prefix matches several runs."""


class Ledger(ChunkBook, RowBook):
    """hubload's record of what it loaded; one per home, or one shared database URL."""

    def __init__(self, url: str) -> None:
        """Open the ledger at ``url``, creating or bringing its tables up to date.

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
            self._migrate()
        except (SQLAlchemyError, ImportError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(f"run ledger at {shown}: {type(exc).__name__}: {first}") from exc

    def _migrate(self) -> None:
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
                    migrate(conn)
                return
            except (OperationalError, IntegrityError):
                # Another process created the same table at the same moment: look again.
                if attempt == 2:
                    raise

    @classmethod
    def from_settings(cls) -> Ledger:
        """The ledger of the current settings (``HUBLOAD_LEDGER_URL``, else
        ``<home>/ledger.db``).

        Raises:
            ConfigError: the ledger cannot be opened.
        """
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

    # -- contents loaded ------------------------------------------------------------------------

    def loaded_file(
        self, sha256: str, identity: TargetIdentity, object_name: str, operation: str
    ) -> dict[str, Any] | None:
        """The earlier load of this content into the same target object with the same
        operation, if any (``run_id``, ``path``, ``loaded_at``)."""
        files = tables.files.c
        query = select(tables.files).where(
            and_(
                files.sha256 == sha256,
                files.object == object_name,
                or_(files.operation == operation, files.operation == "*"),
            )
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).mappings().all()
        for row in found:
            if same_target(str(row["target"]), identity):
                return dict(row)
        return None

    def record_file(
        self,
        sha256: str,
        path: Path,
        identity: TargetIdentity,
        object_name: str,
        operation: str,
        run_id: str,
    ) -> bool:
        """Remember that this content was loaded; False if it already was (kept as it was)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(tables.files).values(
                        sha256=sha256,
                        target=identity.key,
                        object=object_name,
                        operation=operation,
                        path=str(path),
                        run_id=run_id,
                        loaded_at=now(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def forget_file(
        self, sha256: str, identity: TargetIdentity, object_name: str, operation: str
    ) -> None:
        """Drop a content's record (a forced reload records it again)."""
        files = tables.files.c
        with self.engine.begin() as conn:
            conn.execute(
                tables.files.delete().where(
                    and_(
                        files.sha256 == sha256,
                        files.target == identity.key,
                        files.object == object_name,
                        files.operation == operation,
                    )
                )
            )

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> RunRecord:
        """Record a new run, or return the one already recorded under its id (a resumed run);
        either way, remember the flow run that runs it.

        Raises:
            ConfigError: a run of that id exists for another file content, object or target.
        """
        started = self._start_run(run)
        if run.flow_run_id:
            with self.engine.begin() as conn:
                ran = tables.flow_runs.c
                known = conn.execute(
                    select(ran.run_id).where(ran.flow_run_id == run.flow_run_id)
                ).first()
                if known is None:
                    conn.execute(
                        insert(tables.flow_runs).values(
                            flow_run_id=run.flow_run_id, run_id=run.run_id
                        )
                    )
        return started

    def _start_run(self, run: RunRecord) -> RunRecord:
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
            if (existing.file_sha256, existing.object) != (run.file_sha256, run.object):
                raise ConfigError(
                    f"run {run.run_id} was for other content or another object: the file "
                    "changed since, so it cannot be resumed"
                )
            # The options are those of the run now taking it up (its process, its settings);
            # its target is the one it now loads into (resume checked it, or was forced); its
            # input and reports are where that run keeps them (the shared storage, if any).
            resumed = replace(
                existing,
                status=RunStatus.RUNNING,
                flow_run_id=run.flow_run_id or existing.flow_run_id,
                options=run.options,
                target=run.target,
                file=run.file,
                run_dir=run.run_dir,
            )
            with self.engine.begin() as conn:
                conn.execute(
                    update(tables.runs)
                    .where(tables.runs.c.run_id == run.run_id)
                    .values(
                        status=resumed.status.value,
                        flow_run_id=resumed.flow_run_id,
                        options=json.dumps(resumed.options),
                        target=resumed.target,
                        file=resumed.file,
                        run_dir=resumed.run_dir,
                    )
                )
            return resumed
        values = {
            **run.__dict__,
            "kind": run.kind.value,
            "status": run.status.value,
            "options": json.dumps(run.options),
            "started_at": now(),
        }
        with self.engine.begin() as conn:
            conn.execute(insert(tables.runs).values(**values))
        return run

    def finish_run(self, run_id: str, status: RunStatus, **counts: int | str | None) -> None:
        """Record how a run ended (counts: read, succeeded, rejected, failed, message)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tables.runs)
                .where(tables.runs.c.run_id == run_id)
                .values(status=status.value, finished_at=now(), **counts)
            )

    def run(self, run_id: str, *, exact: bool = False) -> RunRecord | None:
        """A run by id, by the Prefect flow run that ran it, or (unless ``exact``) by a unique
        prefix of either.

        Raises:
            AmbiguousRunError: the prefix matches several runs.
        """
        runs, ran = tables.runs.c, tables.flow_runs.c
        if exact:
            where = runs.run_id == run_id
        else:
            by_flow_run = select(ran.run_id).where(ran.flow_run_id.startswith(run_id))
            where = or_(
                runs.run_id.startswith(run_id),
                runs.flow_run_id.startswith(run_id),
                runs.run_id.in_(by_flow_run),
            )
        with self.engine.connect() as conn:
            found = list(conn.execute(select(tables.runs).where(where)).mappings().all())
            exact_flow_run = set(
                conn.execute(select(ran.run_id).where(ran.flow_run_id == run_id)).scalars()
            )
        same = [
            r
            for r in found
            if run_id in (r["run_id"], r["flow_run_id"]) or r["run_id"] in exact_flow_run
        ]
        rows = same or found
        if len(rows) > 1:
            shown = ", ".join(str(r["run_id"]) for r in rows[:5])
            raise AmbiguousRunError(
                f"{run_id!r} matches {len(rows)} runs ({shown}{', ...' if len(rows) > 5 else ''})"
                ": give more of the id"
            )
        return _run(rows[0]) if rows else None

    def earlier_load(
        self, sha256: str, identity: TargetIdentity, object_name: str, operation: str
    ) -> RunRecord | None:
        """The latest load of this content into the same target object with the same operation
        that sent something (a crashed one included), if any."""
        runs, chunks = tables.runs.c, tables.chunks.c
        sent = select(chunks.run_id).where(
            chunks.state.not_in([ChunkState.STAGED.value, ChunkState.FAILED.value])
        )
        query = (
            select(tables.runs)
            .where(
                and_(
                    runs.file_sha256 == sha256,
                    runs.object == object_name,
                    runs.operation == operation,
                    runs.kind == RunKind.LOAD.value,
                    runs.run_id.in_(sent),
                )
            )
            .order_by(runs.started_at.desc())
        )
        with self.engine.connect() as conn:
            found = [_run(r) for r in conn.execute(query).mappings()]
        return next((r for r in found if same_target(r.target, identity)), None)

    def drop_run(self, run_id: str) -> None:
        """Forget a run that never did anything (a reprocess run that found nothing to do)."""
        with self.engine.begin() as conn:
            conn.execute(tables.lineage.delete().where(tables.lineage.c.run_id == run_id))
            conn.execute(tables.flow_runs.delete().where(tables.flow_runs.c.run_id == run_id))
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


def _run(row: Any) -> RunRecord:
    data = dict(row)
    data["options"] = json.loads(data["options"] or "{}")
    data["kind"] = RunKind(data["kind"])
    data["status"] = RunStatus(data["status"])
    return RunRecord(**data)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
