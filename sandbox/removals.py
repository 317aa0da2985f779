"""Deleting records (Salesforce's delete and hardDelete) and the sequence that keeps ids unique.

A delete moves a record to the recycle bin (`IsDeleted` true: only queryAll sees it); a hard
delete purges it. Record ids derive from a per-table sequence number; a purged record's
number could come back as SQLite's `MAX(rowid) + 1`, so a hard delete remembers the highest
number used (table `sequences`) and new ids start past it.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from sandbox.db import quote
from sandbox.exceptions import UnprocessableFileError
from sandbox.fields import ObjectSpec
from sandbox.statements import literal

Removal = Literal["delete", "hardDelete"]


def check_removal_header(header: list[str], removal: Removal) -> None:
    """A delete or hard delete file holds exactly an `Id` column.

    Raises:
        UnprocessableFileError: any other header.
    """
    if [name.lower() for name in header] != ["id"]:
        raise UnprocessableFileError(
            f"A {removal} job takes exactly one column, Id; the header has: {', '.join(header)}"
        )


def removal_sql(spec: ObjectSpec, removal: Removal, now: str) -> str:
    """The statement removing one record by `_seq` (an object without recycle bin: purged)."""
    table = quote(spec.table)
    binned = spec.deleted_field
    if removal == "hardDelete" or binned is None:
        return f'DELETE FROM {table} WHERE "_seq" = ?'  # noqa: S608
    sets = [f"{quote(binned.name)} = 'true'"]
    sets += [f"{quote(f.name)} = {literal(now)}" for f in spec.fields if f.auto == "modified"]
    return f'UPDATE {table} SET {", ".join(sets)} WHERE "_seq" = ?'  # noqa: S608


def purges(spec: ObjectSpec, removal: Removal | None) -> bool:
    """Whether the removal takes records out of the table (so their numbers must be kept)."""
    return removal == "hardDelete" or (removal == "delete" and spec.deleted_field is None)


def next_seq(conn: sqlite3.Connection, spec: ObjectSpec) -> int:
    """The sequence number the next record gets: past every stored one and, after a purge,
    past every one ever stored (record ids are never given twice)."""
    row = conn.execute(
        f'SELECT MAX(COALESCE((SELECT MAX("_seq") FROM {quote(spec.table)}), 0), '  # noqa: S608
        "COALESCE((SELECT last FROM sequences WHERE tbl = ?), 0)) + 1",
        (spec.table,),
    ).fetchone()
    return int(row[0])


def keep_seq(conn: sqlite3.Connection, spec: ObjectSpec, last: int, *, start: bool) -> None:
    """Remember `last` as used: from now on (`start`, before a purge), or only for a table
    that a purge already made remember its numbers."""
    if start:
        conn.execute(
            "INSERT INTO sequences (tbl, last) VALUES (?, ?) "
            "ON CONFLICT(tbl) DO UPDATE SET last = MAX(last, excluded.last)",
            (spec.table, last),
        )
    else:
        conn.execute("UPDATE sequences SET last = MAX(last, ?) WHERE tbl = ?", (last, spec.table))
