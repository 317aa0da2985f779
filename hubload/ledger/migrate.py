"""Bringing a ledger written by an earlier hubload up to today's tables, keeping every record.

Earlier ledgers named a run's target by its hub alone (``hub``); today a run records its
target's identity (``target``). Those runs and loaded files are kept, their target written as
``legacy <hub>`` (matched cautiously: see ``same_target``). Columns added since are added.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from hubload.ledger import tables
from hubload.ledger.records import LEGACY


def migrate(conn: Connection) -> None:
    """Create what is missing and carry older tables forward (one transaction)."""
    existing = set(inspect(conn).get_table_names())
    if "runs" in existing and "hub" in _columns(conn, "runs"):
        conn.execute(text("ALTER TABLE runs RENAME COLUMN hub TO target"))
        conn.execute(text("UPDATE runs SET target = :legacy || target"), {"legacy": f"{LEGACY} "})
    if "loaded_files" in existing and "hub" in _columns(conn, "loaded_files"):
        # The key changed (content -> content, target, object, operation): a new table.
        conn.execute(text("ALTER TABLE loaded_files RENAME TO loaded_files_v1"))
        tables.files.create(conn)
        copy = text(
            "INSERT INTO loaded_files (sha256, target, object, operation, path, run_id, "
            "loaded_at) SELECT sha256, :legacy || hub, object, '*', path, run_id, "
            "loaded_at FROM loaded_files_v1"
        )
        conn.execute(copy, {"legacy": f"{LEGACY} "})
        conn.execute(text("DROP TABLE loaded_files_v1"))
    tables.metadata.create_all(conn)
    for table in tables.metadata.sorted_tables:
        have = _columns(conn, table.name)
        for column in table.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}
