"""The ledger's tables (SQLAlchemy Core, portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# The contents loaded, by target object and operation: the same file is not loaded twice.
files = Table(
    "loaded_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("target", String(600), primary_key=True),  # the target's identity (see targets)
    Column("object", String(200), primary_key=True),
    Column("operation", String(20), primary_key=True),
    Column("path", String(2048), nullable=False),
    Column("run_id", String(300), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(300), primary_key=True),
    Column("parent_run_id", String(300), ForeignKey("runs.run_id"), nullable=True, index=True),
    Column("kind", String(20), nullable=False),  # RunKind
    Column("flow_run_id", String(64), nullable=True, index=True),
    Column("file", String(2048), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("target", String(600), nullable=False),  # the target's identity (see targets)
    Column("object", String(200), nullable=False),
    Column("operation", String(20), nullable=False),
    Column("external_id", String(200), nullable=True),
    Column("mapping", String(2048), nullable=True),
    Column("options", Text, nullable=False),  # JSON: the LoadRequest, and who runs it
    Column("run_dir", String(2048), nullable=False),
    Column("status", String(20), nullable=False),  # RunStatus
    Column("read", Integer, nullable=True),
    Column("succeeded", Integer, nullable=True),
    Column("rejected", Integer, nullable=True),
    Column("failed", Integer, nullable=True),
    Column("message", Text, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

# Every Prefect flow run that ran a run (its first, its retries, resumes on other workers):
# a run is found by any of them, as the UI's URLs name them.
flow_runs = Table(
    "flow_runs",
    metadata,
    Column("flow_run_id", String(64), primary_key=True),
    Column("run_id", String(300), ForeignKey("runs.run_id"), nullable=False, index=True),
)

chunks = Table(
    "chunks",
    metadata,
    Column("run_id", String(300), ForeignKey("runs.run_id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("rows", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # ChunkState
    Column("job_id", String(200), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    # When the current (or last) upload attempt began: a lost answer is settled from it.
    Column("attempt_started_at", DateTime(timezone=True), nullable=True),
    Column("staged_at", DateTime(timezone=True), nullable=True),  # when the ledger learnt it
    Column("job_status", String(40), nullable=True),
    Column("succeeded", Integer, nullable=True),
    Column("failed", Integer, nullable=True),
    Column("note", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every job a chunk's attempts became (the chunk's row keeps only the latest): what the target
# is asked after a load, to see rows loaded twice.
chunk_jobs = Table(
    "chunk_jobs",
    metadata,
    Column("run_id", String(300), ForeignKey("runs.run_id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("job_id", String(200), primary_key=True),
)

# When each upload attempt of a chunk began (the chunk's row keeps only the latest): a job that
# no run recorded can only be a run's if it was made during one of its attempts.
attempts = Table(
    "attempts",
    metadata,
    Column("run_id", String(300), ForeignKey("runs.run_id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("started_at", DateTime(timezone=True), primary_key=True),
)

# Only the rows that did not load: rejected or failed, with what became of them.
rows = Table(
    "row_outcomes",
    metadata,
    Column("run_id", String(300), ForeignKey("runs.run_id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("outcome", String(20), nullable=False),  # RowOutcome
    Column("reason", Text, nullable=False),
    Column("transient", Boolean, nullable=False, default=False),
    Column("claimed_by", String(300), nullable=True),  # a reprocess run working on it
    Column("resolved_by", String(300), nullable=True, index=True),  # the run that loaded it
)

# Which row of a reprocess run's input came from which line of its parent's file.
lineage = Table(
    "lineage",
    metadata,
    Column("run_id", String(300), ForeignKey("runs.run_id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("parent_line", Integer, nullable=False),
)
