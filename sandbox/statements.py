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


# One INSERT writes many rows: binding and stepping a statement per row costs more than the
# row's own insert. 999 bound values is SQLite's oldest (smallest) limit per statement;
# powers of two let the processor write any count with few distinct statements.
MAX_PARAMS = 999


@dataclass(frozen=True)
class Statements:
    """How a job writes: an insert binds `insert_columns` of a row (all if None), then the id.

    `insert_sql(n)` inserts `n` rows (at most `rows_per_insert`) at once, their parameters one
    row after another; each row's `(...)` is rendered once per job (`insert_rows`).
    """

    insert_head: str
    insert_rows: tuple[str, ...]
    insert_columns: list[int] | None
    binds_id: bool
    update_sql: str

    @property
    def rows_per_insert(self) -> int:
        """How many rows one INSERT writes at most."""
        return len(self.insert_rows)

    def insert_sql(self, rows: int) -> str:
        """The INSERT of `rows` rows."""
        return self.insert_head + ", ".join(self.insert_rows[:rows])


def _insert_values(plan: Plan, bound: list[int], binds_id: bool, now: str, row: int) -> str:
    """The `(...)` of the `row`-th row of a multi-row INSERT (parameters numbered from 1)."""
    first = row * (len(bound) + binds_id) + 1
    values: list[str] = []
    for position, column in enumerate(bound, start=first):
        field = plan.fields[column]
        value = _value(field, f"?{position}")
        if field.default is not None:
            value = f"COALESCE(NULLIF({value}, ''), {literal(field.default)})"
        values.append(value)
    if binds_id:
        values.append(f"?{first + len(bound)}")
    values += [literal(now)] * len(plan.auto_fields)
    values += [literal(field.default or "") for field in plan.absent_defaults]
    return f"({', '.join(values)})"


def build_statements(plan: Plan, now: str) -> Statements:
    """The statements for `plan`, stamping `now` into the automatic date fields."""
    spec = plan.spec
    table = quote(spec.table)
    direct = len(plan.writable_columns) == plan.width
    bound = list(range(plan.width)) if direct else plan.writable_columns
    binds_id = spec.id_field.generated_sql is None
    names = [plan.fields[column].name for column in bound]
    if binds_id:
        names.append(spec.id_field.name)
    names += [field.name for field in plan.auto_fields]
    names += [field.name for field in plan.absent_defaults]
    insert_head = f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) VALUES "  # noqa: S608
    fitting = max(1, MAX_PARAMS // max(1, len(bound) + binds_id))
    rows_per_insert = 1 << (fitting.bit_length() - 1)  # the largest power of two that fits
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
    return Statements(
        insert_head=insert_head,
        insert_rows=tuple(
            _insert_values(plan, bound, binds_id, now, row) for row in range(rows_per_insert)
        ),
        insert_columns=None if direct else bound,
        binds_id=binds_id,
        update_sql=update_sql,
    )
