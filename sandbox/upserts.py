"""Matching records by value: upsert identifiers and unique fields, one batched lookup a chunk.

Values match case-insensitively (Salesforce external ids do; SQLite's NOCASE folds ASCII).
Records in the recycle bin (`IsDeleted`) are matched by nothing but a hard delete, and are
told apart so an update or delete of one fails `ENTITY_IS_DELETED`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Literal

from sandbox import checks as errs
from sandbox.checks import NA
from sandbox.db import collation, quote
from sandbox.fields import FieldSpec, ObjectSpec

_IN_BATCH = 500
Match = tuple[str, int]
Deleted = Literal["exclude", "include", "only"]


def deleted_sql(spec: ObjectSpec, deleted: Deleted) -> str:
    """An SQL condition keeping the records `deleted` asks for ("1" for objects without bin)."""
    field = spec.deleted_field
    if field is None or deleted == "include":
        return "1"
    column = quote(field.name)
    if deleted == "only":
        return f"{column} = 'true'"
    return f"({column} IS NULL OR {column} <> 'true')"


def lookup(
    conn: sqlite3.Connection,
    spec: ObjectSpec,
    field: FieldSpec,
    values: set[str],
    deleted: Deleted = "exclude",
) -> dict[str, list[Match]]:
    """Stored records whose `field` equals one of `values`: lower-cased value -> (id, seq)s."""
    found: dict[str, list[Match]] = {}
    ordered = sorted(values)
    column, id_column = quote(field.name), quote(spec.id_field.name)
    keep = deleted_sql(spec, deleted)
    for start in range(0, len(ordered), _IN_BATCH):
        batch = ordered[start : start + _IN_BATCH]
        rows = conn.execute(
            f'SELECT {column}, {id_column}, "_seq" FROM {quote(spec.table)} '  # noqa: S608
            f"WHERE {column} COLLATE {collation(field)} IN ({', '.join('?' * len(batch))}) "
            f'AND {keep} ORDER BY "_seq"',
            batch,
        )
        fold = field.native != "id"
        for value, record_id, seq in rows:
            found.setdefault(value.lower() if fold else value, []).append((record_id, seq))
    return found


class Matcher:
    """Resolves each upsert row to an existing record (update) or none (insert).

    `deleted="include"` (a hard delete) matches records in the recycle bin too.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        spec: ObjectSpec,
        field: FieldSpec,
        column: int,
        deleted: Deleted = "exclude",
    ) -> None:
        self.conn, self.spec, self.field, self.column = conn, spec, field, column
        self.deleted = deleted
        self.seen: set[str] = set()
        self.binned: set[str] = set()

    def _no_match_error(self, key: str) -> str | None:
        if not self.field.read_only:
            return None
        if self.field.native == "id":
            if key in self.binned:
                return errs.entity_deleted_error()
            return errs.unknown_id_error(self.field.name)
        return errs.read_only_error([self.field.name])

    def resolve(
        self, rows: list[list[str]]
    ) -> Iterator[tuple[int, list[str], Match | None, str | None]]:
        """Yield `(index, row, match, error)`; `match` is None for a row to insert."""
        name, column = self.field.name, self.column
        candidates: list[tuple[int, list[str], str]] = []
        for index, row in enumerate(rows):
            value = row[column]
            key = value if self.field.native == "id" else value.lower()
            if value in ("", NA):
                yield index, row, None, errs.missing_identifier_error(name)
            elif key in self.seen:
                yield index, row, None, errs.duplicate_in_file_error(name, value)
            else:
                self.seen.add(key)
                candidates.append((index, row, key))
        values = {row[column] for _, row, _ in candidates}
        found = lookup(self.conn, self.spec, self.field, values, self.deleted)
        if self.field.native == "id" and self.deleted == "exclude" and self.spec.deleted_field:
            missing = {value for value in values if value not in found}
            self.binned = set(lookup(self.conn, self.spec, self.field, missing, "only"))
        for index, row, key in candidates:
            matches = found.get(key, [])
            if len(matches) > 1:
                ids = [record_id for record_id, _ in matches]
                label = self.field.display_name
                yield index, row, None, errs.duplicate_external_id_error(name, label, ids)
            elif matches:
                yield index, row, matches[0], None
            else:
                yield index, row, None, self._no_match_error(key)


class UniqueGuard:
    """Refuses a value of a unique field that another record holds or this job already wrote."""

    def __init__(
        self, conn: sqlite3.Connection, spec: ObjectSpec, columns: list[tuple[int, FieldSpec]]
    ) -> None:
        self.conn, self.spec, self.columns = conn, spec, columns
        self.written: list[dict[str, str]] = [{} for _ in columns]
        self.stored: list[dict[str, list[Match]]] = [{} for _ in columns]

    @property
    def active(self) -> bool:
        """Whether the header has any unique field to guard."""
        return bool(self.columns)

    def prefetch(self, rows: list[list[str]]) -> None:
        """Look up, in one go, the stored holders of the chunk's unique values."""
        for slot, (column, field) in enumerate(self.columns):
            values = {value for row in rows if (value := row[column]) and value != NA}
            self.stored[slot] = lookup(self.conn, self.spec, field, values)

    def conflict(self, row: list[str], own_id: str | None) -> str | None:
        """The DUPLICATE_VALUE error of a row, or None (`own_id`: the record being updated)."""
        for slot, (column, field) in enumerate(self.columns):
            value = row[column]
            if not value or value == NA:
                continue
            key = value.lower()
            holder = self.written[slot].get(key)
            if holder is not None and holder != own_id:
                return errs.duplicate_value_error(field.name, holder)
            for record_id, _ in self.stored[slot].get(key, ()):
                if record_id != own_id:
                    return errs.duplicate_value_error(field.name, record_id)
        return None

    def remember(self, row: list[str], record_id: str) -> None:
        """Note the unique values a stored row now holds."""
        for slot, (column, _) in enumerate(self.columns):
            value = row[column]
            if value and value != NA:
                self.written[slot][value.lower()] = record_id
