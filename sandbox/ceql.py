"""The CEQL subset bulk queries accept, parsed into a `Query` and translated to SQLite.

    select * | f1, f2 from <object> [where <cond> [and <cond>]...] [limit N]
    <cond> := f = 'v' | f != 'v' | f <> 'v' | f in ('a', 'b') | f like 'a%'
              | f is null | f is not null

Keywords are case-insensitive, strings are single-quoted with '' as the escape, numbers may be
written bare. String comparisons ignore (ASCII) case, as SOQL's do; `!=` also matches nulls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.catalogue import resolve_object
from sandbox.db import quote
from sandbox.exceptions import QueryError
from sandbox.fields import FieldSpec, ObjectSpec

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>!=|<>|=|\(|\)|,|\*|;))"
)


@dataclass(frozen=True)
class Condition:
    """One `where` condition: `op` is one of = != in like null notnull."""

    field: FieldSpec
    op: str
    values: tuple[str, ...] = ()

    def sql(self) -> str:
        """The condition as an SQL expression with `?` placeholders."""
        column = quote(self.field.name)
        if self.op == "=":
            return f"{column} = ? COLLATE NOCASE"
        if self.op == "!=":
            return f"({column} IS NULL OR {column} <> ? COLLATE NOCASE)"
        if self.op == "in":
            return f"{column} COLLATE NOCASE IN ({', '.join('?' * len(self.values))})"
        if self.op == "like":
            return f"{column} LIKE ?"
        # An empty string is how an insert stores null (see `sandbox.statements`).
        if self.op == "null":
            return f"({column} IS NULL OR {column} = '')"
        return f"({column} IS NOT NULL AND {column} <> '')"


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    spec: ObjectSpec
    fields: tuple[FieldSpec, ...]
    conditions: tuple[Condition, ...]
    limit: int | None

    def columns(self) -> list[FieldSpec]:
        """The result's columns: the record id first, then the selected fields, each once."""
        unique = dict.fromkeys((self.spec.id_field, *self.fields))
        return list(unique)

    def sql(self) -> tuple[str, list[str | int]]:
        """The SELECT statement and its parameters."""
        select = ", ".join(quote(f.name) for f in self.columns())
        sql = f"SELECT {select} FROM {quote(self.spec.table)}"  # noqa: S608
        params: list[str | int] = []
        if self.conditions:
            sql += " WHERE " + " AND ".join(c.sql() for c in self.conditions)
            params = [value for c in self.conditions for value in c.values]
        sql += ' ORDER BY "_seq"'
        if self.limit is not None:
            sql += " LIMIT ?"
            params.append(self.limit)
        return sql, params


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise QueryError(f"Unexpected text in the query at position {pos}: {text[pos:][:20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, hub: str, text: str) -> None:
        self.hub = hub
        self.tokens = _tokens(text)
        self.pos = 0

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
