"""The SOQL subset Bulk API 2.0 query jobs accept, parsed into the sandbox's `Query`.

    SELECT f1, f2 FROM Object [WHERE cond [AND cond]...] [LIMIT n]
    cond := f op literal | f IN (literal, ...) | f LIKE 'pattern' | f = null | f != null
    op   := = | != | <> | < | <= | > | >=

Literals: single-quoted strings with SOQL's backslash escapes (`\\'`, `\\\\`, `\\n`, `\\t`, ...;
`\\%` and `\\_` only in LIKE), numbers, `true`/`false`, dates (`2026-12-04`) and date-times
(`2026-12-04T10:00:00Z`, or an offset `+01:00`). Keywords are case-insensitive; string
comparisons ignore case, as SOQL's do. A literal must suit the field's type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sandbox.catalogue import HUBS
from sandbox.ceql import ORDERINGS, Compare, Condition, Query, Value, scan
from sandbox.exceptions import QueryError
from sandbox.fields import FieldSpec, ObjectSpec

HUB = "helpdesk"
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])"
    r"|(?P<num>[+-]?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|!=|<>|=|<|>|\(|\)|,))",
    re.ASCII,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_UNSUPPORTED = ("group", "order", "offset", "having", "typeof", "or", "not", "for", "with")
_TYPES: dict[str, Compare] = {
    "int": "number",
    "double": "number",
    "currency": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}


class MalformedQueryError(QueryError):
    """Bad SOQL syntax or a construct outside the subset (Salesforce's MALFORMED_QUERY)."""


class InvalidFieldError(QueryError):
    """A field the object does not have (Salesforce's INVALID_FIELD)."""


class InvalidTypeError(QueryError):
    """An object the org does not have (Salesforce's INVALID_TYPE)."""


@dataclass(frozen=True)
class Token:
    """One lexical token; a string keeps its LIKE pattern beside its value."""

    kind: str
    text: str
    value: str = ""
    pattern: str = ""


def _string(raw: str, start: int) -> Token:
    """A quoted SOQL string: its value, and its LIKE pattern (escape `\\`)."""
    value: list[str] = []
    pattern: list[str] = []
    body = raw[1:-1]
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            value.append(char)
            pattern.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code in "%_":
            value.append("\\" + code)
            pattern.append("\\" + code)
        elif code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            value.append(chr(int(body[i + 2 : i + 6], 16)))
            pattern.append(value[-1])
            i += 4
        elif code in _ESCAPES:
            value.append(_ESCAPES[code])
            pattern.append("\\\\" if code == "\\" else _ESCAPES[code])
        else:
            raise MalformedQueryError(f"Invalid string literal at {start}: unknown escape \\{code}")
        i += 2
    return Token("str", raw, "".join(value), "".join(pattern))


def tokens(text: str) -> list[Token]:
    """The tokens of a SOQL text.

    Raises:
        MalformedQueryError: text that is no token (an unterminated string...).
    """
    return [
        _string(raw, pos) if kind == "str" else Token(kind, raw, raw)
        for pos, kind, raw in scan(_TOKEN, text, MalformedQueryError)
    ]


def _utc(text: str) -> str:
    """A SOQL date-time literal as the UTC text SQLite's `julianday` reads."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokens(text)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else Token("end", "")

    def take(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind == "name" and token.text.lower() == word:
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            found = self.peek().text or "the end"
            raise MalformedQueryError(f"unexpected token: '{found}', expected {word.upper()}")

    def name(self) -> str:
        token = self.take()
        if token.kind != "name":
            raise MalformedQueryError(f"unexpected token: '{token.text or 'the end'}'")
        return token.text

    def op(self, wanted: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != wanted:
            raise MalformedQueryError(f"unexpected token: '{token.text or 'the end'}'")

    def parse(self, include_deleted: bool) -> Query:
        self.expect("select")
        names = [self.name()]
        while self.peek().text == ",":
            self.take()
            names.append(self.name())
        self.expect("from")
        spec = _object(self.name())
        fields = [_field(spec, name) for name in names]
        if len({f.name for f in fields}) != len(fields):
            raise MalformedQueryError("duplicate field selected")
        conditions: list[Condition] = []
        if self.keyword("where"):
            conditions.append(self.condition(spec))
            while self.keyword("and"):
                conditions.append(self.condition(spec))
        limit = None
        if self.keyword("limit"):
            token = self.take()
            if token.kind != "num" or not token.text.isdigit():
                raise MalformedQueryError(f"LIMIT needs a whole number, not '{token.text}'")
            limit = int(token.text)
        if self.pos != len(self.tokens):
            word = self.peek().text
            hint = " (not in the sandbox's subset)" if word.lower() in _UNSUPPORTED else ""
            raise MalformedQueryError(f"unexpected token: '{word}'{hint}")
        return Query(spec, tuple(fields), tuple(conditions), limit, include_deleted, False)

    def condition(self, spec: ObjectSpec) -> Condition:
        field = _field(spec, self.name())
        if not field.filterable:
            raise MalformedQueryError(f"field '{field.name}' can not be filtered in a query call")
        compare = _TYPES.get(field.native, "text")
        token = self.take()
        word = token.text.lower() if token.kind == "name" else ""
        if word == "like":
            literal = self.take()
            if literal.kind != "str" or compare != "text":
                raise MalformedQueryError(f"LIKE needs a string, on a text field: {field.name}")
            return Condition(field, "like", (literal.pattern,), compare, like_escape=True)
        if word == "in":
            self.op("(")
            values = [self.literal(field, compare)]
            while self.peek().text == ",":
                self.take()
                values.append(self.literal(field, compare))
            self.op(")")
            return Condition(field, "in", tuple(values), compare)
        if token.kind != "op" or token.text not in ("=", "!=", "<>", *ORDERINGS):
            raise MalformedQueryError(f"unexpected token: '{token.text or 'the end'}'")
        op = "!=" if token.text == "<>" else token.text
        if self.keyword("null"):
            if op not in ("=", "!="):
                raise MalformedQueryError(f"{op} null is not a valid comparison")
            return Condition(field, "null" if op == "=" else "notnull")
        if op in ORDERINGS and compare == "boolean":
            raise MalformedQueryError(f"{op} does not apply to the checkbox {field.name}")
        return Condition(field, op, (self.literal(field, compare),), compare)

    def literal(self, field: FieldSpec, compare: Compare) -> Value:
        token = self.take()
        wanted = {"number": "num", "date": "date", "datetime": "datetime"}.get(compare, "str")
        if (
            compare == "boolean"
            and token.kind == "name"
            and token.text.lower() in ("true", "false")
        ):
            return token.text.lower()
        if token.kind != wanted:
            raise MalformedQueryError(
                f"value of filter criterion for field '{field.name}' must be of type "
                f"{field.native} and should not be enclosed in quotes: {token.text or 'nothing'}"
                if wanted != "str"
                else f"value of filter criterion for field '{field.name}' must be a quoted "
                f"string: {token.text or 'nothing'}"
            )
        if compare == "number":
            return float(token.text)
        if compare == "datetime":
            return _utc(token.text)
        return token.value


def _object(name: str) -> ObjectSpec:
    spec = next((s for s in HUBS[HUB] if s.name.lower() == name.lower()), None)
    if spec is None:
        raise InvalidTypeError(f"sObject type '{name}' is not supported.")
    return spec


def _field(spec: ObjectSpec, name: str) -> FieldSpec:
    field = spec.field(name)
    if field is None:
        raise InvalidFieldError(
            f"No such column '{name}' on entity '{spec.name}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name."
        )
    return field


def parse_soql(text: str, *, include_deleted: bool = False) -> Query:
    """Parse a SOQL query of the Salesforce face (`include_deleted`: queryAll).

    Raises:
        MalformedQueryError: bad syntax or a construct outside the subset.
        InvalidTypeError: an unknown object.
        InvalidFieldError: an unknown field.
    """
    if not text.strip():
        raise MalformedQueryError("The query is empty")
    return _Parser(text).parse(include_deleted)
