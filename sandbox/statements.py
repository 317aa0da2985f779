"""The INSERT and UPDATE statements of one job, built once from its plan.

Values are bound as they come from the CSV: an empty string is stored as is and read as null
everywhere (queries, downloads, helpers), which spares a Python pass over every value. What
little conversion a column needs (booleans, defaults) is done by SQLite in the statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.checks import NA
from sandbox.db import quote
from sandbox.fields import FieldSpec
from sandbox.plan import Plan


def literal(value: str) -> str:
    """An SQL string literal (only ever used for catalogue constants and timestamps)."""
    return "'" + value.replace("'", "''") + "'"


def _value(field: FieldSpec, param: str) -> str:
    if field.native == "boolean":
        return (
            f"CASE lower({param}) WHEN '1' THEN 'true' WHEN 'true' THEN 'true' "
            f"WHEN '0' THEN 'false' WHEN 'false' THEN 'false' ELSE {param} END"
        )
    return param


@dataclass(frozen=True)
class Statements:
    """How a job writes: `insert_sql` binds the row (or `insert_columns` of it) then the id."""

    insert_sql: str
    insert_columns: list[int] | None
    binds_id: bool
    update_sql: str


def build_statements(plan: Plan, now: str) -> Statements:
    """The statements for `plan`, stamping `now` into the automatic date fields."""
    spec = plan.spec
    table = quote(spec.table)
    direct = len(plan.writable_columns) == plan.width
    bound = list(range(plan.width)) if direct else plan.writable_columns
    names: list[str] = []
    values: list[str] = []
    for position, column in enumerate(bound, start=1):
        field = plan.fields[column]
        names.append(field.name)
        value = _value(field, f"?{position}")
        if field.default is not None:
            value = f"COALESCE(NULLIF({value}, ''), {literal(field.default)})"
        values.append(value)
    id_field = spec.id_field
    binds_id = id_field.generated_sql is None
    if binds_id:
        names.append(id_field.name)
        values.append(f"?{len(bound) + 1}")
    for field in plan.auto_fields:
        names.append(field.name)
        values.append(literal(now))
    for field in plan.absent_defaults:
        names.append(field.name)
        values.append(literal(field.default or ""))
    insert_sql = (
        f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
        f"VALUES ({', '.join(values)})"
    )
    # Update: None keeps the stored value (COALESCE), "#N/A" nulls it (NULLIF).
    sets = []
    for position, column in enumerate(plan.writable_columns, start=1):
        field = plan.fields[column]
        name = quote(field.name)
        sets.append(f"{name} = NULLIF(COALESCE({_value(field, f'?{position}')}, {name}), '{NA}')")
    sets += [f"{quote(f.name)} = {literal(now)}" for f in plan.auto_fields if f.auto == "modified"]
    if not sets:  # nothing writable in the header: the statement must still be valid
        sets.append('"_seq" = "_seq"')
    seq_param = len(plan.writable_columns) + 1
    update_sql = f'UPDATE {table} SET {", ".join(sets)} WHERE "_seq" = ?{seq_param}'  # noqa: S608
    return Statements(insert_sql, None if direct else bound, binds_id, update_sql)
