"""The CEQL subset bulk queries accept, parsed into a `Query` and translated to SQLite.

    select * | f1, f2 from <object> [where <cond> [and <cond>]...] [limit N]
    <cond> := f = 'v' | f != 'v' | f <> 'v' | f in ('a', 'b') | f like 'a%'
              | f is null | f is not null

Keywords are case-insensitive, strings are single-quoted with '' as the escape, numbers may be
written bare. String comparisons ignore (ASCII) case, as SOQL's do; `!=` also matches nulls.
Records in the recycle bin (deleted through the Salesforce face) are left out.

`Query` and `Condition` also carry what the Salesforce face's SOQL needs (`sandbox.sf.soql`):
typed comparisons (`<`, `>=` on numbers, dates, date-times), and queryAll's deleted records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from sandbox.catalogue import resolve_object
from sandbox.db import quote
from sandbox.exceptions import QueryError
from sandbox.fields import FieldSpec, ObjectSpec
from sandbox.upserts import deleted_sql

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>!=|<>|<=|>=|=|<|>|\(|\)|,|\*|;))"
)
ORDERINGS = ("<", "<=", ">", ">=")
Compare = Literal["text", "number", "boolean", "date", "datetime"]
Value = str | float


def _utc_sql(column: str) -> str:
    """A stored date-time as SQLite's `julianday` reads it (`+0000` becomes `+00:00`)."""
    fixed = (
        f"CASE WHEN substr({column}, -5, 1) IN ('+', '-') "
        f"THEN substr({column}, 1, length({column}) - 2) || ':' || substr({column}, -2) "
        f"ELSE {column} END"
    )
    return f"julianday({fixed})"


@dataclass(frozen=True)
class Condition:
    """One `where` condition: `op` is one of = != in like null notnull < <= > >=.

    `compare` says how values compare: as text ignoring case (CEQL's only way), as numbers,
    booleans (null is false), dates (ISO text) or date-times (instants, any offset).
    """

    field: FieldSpec
    op: str
    values: tuple[Value, ...] = ()
    compare: Compare = "text"
    like_escape: bool = False

    def _operand(self) -> tuple[str, str]:
        """The column and the placeholder as this condition compares them."""
        column = quote(self.field.name)
        if self.compare == "number":
            return f"CAST(NULLIF({column}, '') AS REAL)", "?"
        if self.compare == "datetime":
            return _utc_sql(f"NULLIF({column}, '')"), "julianday(?)"
        if self.op in ORDERINGS:  # null (stored as '') is neither before nor after anything
            column = f"NULLIF({column}, '')"
        if self.compare == "text":
            return column, "? COLLATE NOCASE"
        return column, "?"

    def sql(self) -> str:
        """The condition as an SQL expression with `?` placeholders."""
        column = quote(self.field.name)
        # An empty string is how an insert stores null (see `sandbox.statements`).
        nulls = {
            "null": f"({column} IS NULL OR {column} = '')",
            "notnull": f"({column} IS NOT NULL AND {column} <> '')",
        }
        if self.op in nulls:
            return nulls[self.op]
        if self.op == "like":
            return f"{column} LIKE ? ESCAPE '\\'" if self.like_escape else f"{column} LIKE ?"
        if self.compare == "boolean":
            return self._boolean_sql(column)
        return self._compared_sql(column)

    def _compared_sql(self, column: str) -> str:
        operand, placeholder = self._operand()
        if self.op == "in":
            listed = ", ".join([placeholder.removesuffix(" COLLATE NOCASE")] * len(self.values))
            collate = " COLLATE NOCASE" if self.compare == "text" else ""
            return f"{operand}{collate} IN ({listed})"
        if self.op == "!=":
            return f"({column} IS NULL OR {column} = '' OR {operand} <> {placeholder})"
        if self.op == "=" or self.op in ORDERINGS:
            return f"{operand} {self.op} {placeholder}"
        raise QueryError(f"Unsupported operator {self.op!r}")

    def _boolean_sql(self, column: str) -> str:
        # A checkbox is never null in Salesforce: no value reads false.
        truth = f"COALESCE(NULLIF(lower({column}), ''), 'false')"
        if self.op in ("=", "!="):
            return f"{truth} {'=' if self.op == '=' else '<>'} ?"
        if self.op == "in":
            return f"{truth} IN ({', '.join('?' * len(self.values))})"
        raise QueryError(f"Operator {self.op!r} does not apply to a checkbox")


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    spec: ObjectSpec
    fields: tuple[FieldSpec, ...]
    conditions: tuple[Condition, ...]
    limit: int | None
    include_deleted: bool = False
    id_first: bool = True

    def columns(self) -> list[FieldSpec]:
        """The result's columns: the record id first (unless not `id_first`, SOQL's way),
        then the selected fields, each once."""
        head = (self.spec.id_field,) if self.id_first else ()
        return list(dict.fromkeys((*head, *self.fields)))

    def source_sql(self) -> str:
        """What the query reads: the table, or its records outside the recycle bin."""
        table = quote(self.spec.table)
        keep = deleted_sql(self.spec, "include" if self.include_deleted else "exclude")
        if keep == "1":
            return table
        # SQLite flattens this subquery: the conditions below still use the table's indexes.
        return f"(SELECT * FROM {table} WHERE {keep})"  # noqa: S608

    def sql(self) -> tuple[str, list[Value | int]]:
        """The SELECT statement and its parameters."""
        select = ", ".join(quote(f.name) for f in self.columns())
        sql = f"SELECT {select} FROM {self.source_sql()}"  # noqa: S608
        params: list[Value | int] = []
        if self.conditions:
            sql += " WHERE " + " AND ".join(c.sql() for c in self.conditions)
            params = [value for c in self.conditions for value in c.values]
        sql += ' ORDER BY "_seq"'
        if self.limit is not None:
            sql += " LIMIT ?"
            params.append(self.limit)
        return sql, params


def scan(
    pattern: re.Pattern[str], text: str, error: type[QueryError] = QueryError
) -> Iterator[tuple[int, str, str]]:
    """Each token of `text` as (position, name of the group that matched, text matched);
    `pattern` skips leading white space and has one named group per kind of token.

    Raises:
        QueryError: (`error`) at text no token matches.
    """
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = pattern.match(text, pos)
        if match is None or match.end() == pos:
            raise error(f"Unexpected text in the query at position {pos}: {text[pos:][:20]!r}")
        kind = match.lastgroup or ""
        yield pos, kind, match.group(kind)
        pos = match.end()


def _tokens(text: str) -> list[tuple[str, str]]:
    return [
        (kind, raw[1:-1].replace("''", "'") if kind == "str" else raw)
        for _, kind, raw in scan(_TOKEN, text)
    ]


class _Parser:
    def __init__(self, hub: str, text: str, *, orderings: bool = False) -> None:
        self.hub = hub
        self.tokens = _tokens(text)
        self.pos = 0
        self.orderings = orderings

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        kind, value = self.peek()
        if kind == "name" and value.lower() == word:
            self.pos += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise QueryError(f"Expected {word.upper()} but found {self.peek()[1] or 'the end'!r}")

    def expect_op(self, op: str) -> None:
        kind, value = self.take()
        if kind != "op" or value != op:
            raise QueryError(f"Expected {op!r} but found {value or 'the end'!r}")

    def name(self) -> str:
        kind, value = self.take()
        if kind != "name":
            raise QueryError(f"Expected a name but found {value or 'the end'!r}")
        return value

    def literal(self) -> str:
        kind, value = self.take()
        if kind not in ("str", "num"):
            raise QueryError(f"Expected a quoted value but found {value or 'the end'!r}")
        return value

    def parse(self) -> Query:
        self.expect_keyword("select")
        names: list[str] | None = None
        if self.peek() == ("op", "*"):
            self.take()
        else:
            names = [self.name()]
            while self.peek() == ("op", ","):
                self.take()
                names.append(self.name())
        self.expect_keyword("from")
        object_name = self.name()
        spec = resolve_object(self.hub, object_name)
        if spec is None:
            raise QueryError(f"No object {object_name!r} in hub {self.hub!r}")
        fields = spec.fields if names is None else tuple(_field(spec, n) for n in names)
        conditions: list[Condition] = []
        if self.keyword("where"):
            conditions.append(self.condition(spec))
            while self.keyword("and"):
                conditions.append(self.condition(spec))
        limit = None
        if self.keyword("limit"):
            kind, value = self.take()
            if kind != "num" or not value.isdigit():
                raise QueryError(f"LIMIT needs a whole number, not {value!r}")
            limit = int(value)
        if self.peek() == ("op", ";"):
            self.take()
        if self.pos != len(self.tokens):
            raise QueryError(f"Unexpected {self.peek()[1]!r} after the end of the query")
        return Query(spec, tuple(fields), tuple(conditions), limit)

    def condition(self, spec: ObjectSpec) -> Condition:
        field = _field(spec, self.name())
        if not field.filterable:
            raise QueryError(f"Field {field.name} of {spec.name} cannot be filtered on")
        kind, value = self.take()
        if kind == "op" and value == "=":
            return Condition(field, "=", (self.literal(),))
        if kind == "op" and value in ("!=", "<>"):
            return Condition(field, "!=", (self.literal(),))
        if kind == "op" and value in ORDERINGS and self.orderings:
            literal = self.literal()
            numeric = field.native in ("int", "double", "currency")
            return Condition(
                field,
                value,
                (float(literal),) if numeric else (literal,),
                "number" if numeric else "text",
            )
        word = value.lower() if kind == "name" else ""
        if word == "like":
            return Condition(field, "like", (self.literal(),))
        if word == "in":
            self.expect_op("(")
            values = [self.literal()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.literal())
            self.expect_op(")")
            return Condition(field, "in", tuple(values))
        if word == "is":
            negated = self.keyword("not")
            self.expect_keyword("null")
            return Condition(field, "notnull" if negated else "null")
        raise QueryError(f"Unsupported operator {value or 'the end'!r} after {field.name}")


def _field(spec: ObjectSpec, name: str) -> FieldSpec:
    field = spec.field(name)
    if field is None:
        raise QueryError(f"No field {name!r} on {spec.name}")
    return field


def parse_query(hub: str, text: str) -> Query:
    """Parse a CEQL query against the objects of `hub`.

    Raises:
        QueryError: bad syntax, an unsupported construct, or an unknown object or field.
    """
    if not text.strip():
        raise QueryError("The query is empty")
    return _Parser(hub, text).parse()


def parse_where(spec: ObjectSpec, text: str) -> list[Condition]:
    """Parse a CEQL `where` clause (`cond [and cond]...`) over `spec`'s fields, where `<`,
    `<=`, `>`, `>=` are allowed too (the job listing's `record_count > 0`).

    Raises:
        QueryError: bad syntax, an unsupported construct, or an unknown field.
    """
    parser = _Parser(spec.hub, text, orderings=True)
    conditions = [parser.condition(spec)]
    while parser.keyword("and"):
        conditions.append(parser.condition(spec))
    if parser.pos != len(parser.tokens):
        raise QueryError(f"Unexpected {parser.peek()[1]!r} after the end of the condition")
    return conditions
