"""The ledger's tables (SQLAlchemy Core, portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

metadata = MetaData()

files = Table(
    "loaded_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("path", String(2048), nullable=False),
    Column("hub", String(200), nullable=False),
    Column("object", String(200), nullable=False),
    Column("run_id", String(300), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
