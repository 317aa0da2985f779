"""Parents named by external id (`Account.External_Id__c` columns): one lookup a chunk and
column, each value replaced by the parent's record id before the row is checked."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sandbox import checks as errs
from sandbox.checks import NA
from sandbox.plan import Plan
from sandbox.upserts import lookup

Fail = Callable[[int, list[str], str], None]


def resolve_parents(
    conn: sqlite3.Connection,
    plan: Plan,
    rows: list[list[str]],
    numbers: list[int],
    fail: Fail,
    originals: dict[int, list[str]],
) -> tuple[list[list[str]], list[int]]:
    """The rows with their parents' ids in the relation columns, and their record numbers.

    A row naming no parent, or one several records hold, is failed (`fail`) and left out; a
    row whose cells were replaced is a copy, its original kept in `originals` by number (a
    later error reports the row as uploaded). An empty value or `#N/A` stays as it is.
    """
    found = [
        lookup(
            conn,
            relation.parent,
            relation.parent_field,
            {value for row in rows if (value := row[relation.column]) and value != NA},
        )
        for relation in plan.relations
    ]
    kept_rows: list[list[str]] = []
    kept_numbers: list[int] = []
    for number, row in zip(numbers, rows, strict=True):
        resolved, error = row, None
        for relation, parents in zip(plan.relations, found, strict=True):
            value = row[relation.column]
            if not value or value == NA:
                continue
            matches = parents.get(value.lower(), [])
            if len(matches) != 1:
                maker = errs.missing_parent_error if not matches else errs.ambiguous_parent_error
                error = maker(value, relation.parent_field, relation.parent.name)
                break
            if resolved is row:
                resolved = row.copy()
                originals[number] = row
            resolved[relation.column] = matches[0][0]
        if error is not None:
            fail(number, row, error)
        else:
            kept_rows.append(resolved)
            kept_numbers.append(number)
    return kept_rows, kept_numbers
