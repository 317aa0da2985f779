"""A file's header compiled against an object: which column is what, and its checks in order."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from itertools import compress

from sandbox import checks as errs
from sandbox.catalogue import resolve_object
from sandbox.checks import NA, Rank, ValueCheck, value_checks
from sandbox.exceptions import UnprocessableFileError
from sandbox.fields import FieldSpec, ObjectSpec
from sandbox.screens import Screen, screen_of

NULLS = frozenset(("", NA))
SCREEN_ROWS = 1000


def blank(value: str) -> bool:
    """Null for the required check: empty, `#N/A`, or only white space (Salesforce trims
    text values; `str.isspace` also counts tabs and no-break spaces)."""
    return value in NULLS or value.isspace()


@dataclass(frozen=True)
class Relation:
    """A column naming a parent by external id (`Account.External_Id__c`): its values are
    replaced by the parent's record id before the row is checked."""

    column: int
    reference: FieldSpec
    parent: ObjectSpec
    parent_field: FieldSpec


@dataclass(frozen=True)
class ColumnCheck:
    """One value check bound to a column."""

    rank: int
    column: int
    check: ValueCheck


@dataclass(frozen=True)
class Plan:
    """What processing a file needs to know about its header, computed once per job."""

    spec: ObjectSpec
    header: list[str]
    fields: list[FieldSpec]
    identifier_column: int | None
    read_only_columns: list[int]
    required_columns: list[int]
    required_absent: list[str]
    checks: list[ColumnCheck]
    writable_columns: list[int]
    absent_defaults: list[FieldSpec]
    unique_columns: list[int]
    auto_fields: list[FieldSpec]
    relations: list[Relation]
    # For `suspects`: each column's length limit, and the screens of its other checks.
    limits: tuple[int, ...]
    screens: list[tuple[int, Screen]]

    @property
    def width(self) -> int:
        """How many values every data row must have."""
        return len(self.header)

    def suspects(self, rows: list[list[str]]) -> set[int]:
        """Indexes of the rows that may fail `first_error`; every other row passes it.

        Column by column and at C speed (lengths, `sure` regexes over whole columns, set
        look-ups), so a clean chunk costs no Python work per value; a suspect is then judged
        row by row. A slice of rows at a time, whose values stay in the CPU cache across the
        passes (measured a third faster than 5,000 rows at once).
        """
        if self.required_absent:  # every insert lacks a required field
            return set(range(len(rows)))
        found: set[int] = set()
        for first in range(0, len(rows), SCREEN_ROWS):
            self._screen(rows[first : first + SCREEN_ROWS], range(first, len(rows)), found)
        return found

    def _screen(self, rows: list[list[str]], indexes: range, found: set[int]) -> None:
        """Add to `found` the suspects among `rows`, whose indexes in the chunk `indexes` gives."""
        columns = list(zip(*rows, strict=True))
        # Each test runs once over a clean column; only a column holding a suspect is walked
        # again to pick out its indexes (`compress`, still at C speed).
        for column, limit in enumerate(self.limits):
            values = columns[column]
            if limit < sys.maxsize and max(map(len, values)) > limit:
                found.update(compress(indexes, map(limit.__lt__, map(len, values))))
        for column, screen in self.screens:
            found.update(map(indexes.__getitem__, screen(columns[column])))
        for column in self.required_columns:
            values = columns[column]
            if "" in values or NA in values or any(map(str.isspace, values)):
                found.update(compress(indexes, map(blank, values)))
        for column in self.read_only_columns:
            values = columns[column]
            if any(values):
                found.update(compress(indexes, values))
        for values in columns:
            if NA in values:
                found.update(compress(indexes, map(NA.__eq__, values)))

    def first_error(self, row: list[str], inserting: bool) -> str | None:
        """The error of a well-shaped row, the first failing check winning, or None.

        The order: read-only fields given a value, required fields left null (inserts; an
        update may not null them with `#N/A`), then the value checks by rank and column.
        """
        fields = self.fields
        read_only = [fields[i].name for i in self.read_only_columns if row[i]]
        if read_only:
            return errs.read_only_error(read_only)
        if inserting:
            missing = self.required_absent + [
                fields[i].name for i in self.required_columns if blank(row[i])
            ]
        else:
            # An empty value leaves the stored one; `#N/A` or white space would blank it.
            missing = [
                fields[i].name
                for i in self.required_columns
                if row[i] == NA or (row[i] and row[i].isspace())
            ]
        if missing:
            return errs.required_error(missing)
        for bound in self.checks:
            value = row[bound.column]
            if bound.check.bad(value):
                return bound.check.message(value)
        return None


def _relation(spec: ObjectSpec, column: int, name: str) -> Relation | None:
    """The parent lookup a header name like `Account.External_Id__c` asks for, if valid."""
    relationship, dot, foreign = name.partition(".")
    reference = spec.relationship(relationship) if dot else None
    if reference is None or reference.reference_to is None:
        return None
    parent = resolve_object(spec.hub, reference.reference_to)
    field = parent.field(foreign) if parent is not None else None
    if parent is None or field is None or not field.external_id:
        return None
    return Relation(column, reference, parent, field)


def _resolve_header(spec: ObjectSpec, header: list[str]) -> tuple[list[FieldSpec], list[Relation]]:
    if not header or all(name == "" for name in header):
        raise UnprocessableFileError("The file's header row is empty")
    blanks = [str(i + 1) for i, name in enumerate(header) if not name.strip()]
    if blanks:
        raise UnprocessableFileError(f"Header column(s) {', '.join(blanks)} have no field name")
    seen: set[str] = set()
    duplicates = []
    for name in header:
        if name.lower() in seen:
            duplicates.append(name)
        seen.add(name.lower())
    if duplicates:
        raise UnprocessableFileError(f"Duplicate field(s) in the header: {', '.join(duplicates)}")
    fields = [spec.field(name) for name in header]
    relations = [
        relation
        for column, (name, field) in enumerate(zip(header, fields, strict=True))
        if field is None and (relation := _relation(spec, column, name)) is not None
    ]
    for relation in relations:
        fields[relation.column] = relation.reference
    unknown = [name for name, field in zip(header, fields, strict=True) if field is None]
    if unknown:
        raise UnprocessableFileError(
            f"No such field(s) on {spec.name}: {', '.join(unknown)} "
            "(the header must hold the fields' API names)",
            unknown_field=unknown[0],
        )
    known = [field for field in fields if field is not None]
    names = [field.name for field in known]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:  # e.g. AccountId beside Account.External_Id__c
        raise UnprocessableFileError(f"Duplicate field(s) in the header: {', '.join(twice)}")
    return known, relations


def compile_plan(spec: ObjectSpec, header: list[str], identifier: str | None) -> Plan:
    """Compile the header of a file for `spec`.

    Raises:
        UnprocessableFileError: blank, duplicate or unknown field names, or an upsert identifier
            missing from the header.
    """
    fields, relations = _resolve_header(spec, header)
    identifier_column = None
    if identifier is not None:
        wanted = identifier.lower()
        identifier_column = next(
            (i for i, field in enumerate(fields) if field.name.lower() == wanted), None
        )
        if identifier_column is None:
            raise UnprocessableFileError(f"The identifier field {identifier} is not in the header")
    present = {field.name for field in fields}
    checks = [
        ColumnCheck(check.rank, i, check)
        for i, field in enumerate(fields)
        for check in value_checks(field, spec.key_prefix if field.native == "id" else "")
    ]
    checks.sort(key=lambda bound: (bound.rank, bound.column))
    read_only = [i for i, field in enumerate(fields) if field.read_only and i != identifier_column]
    required = [i for i, field in enumerate(fields) if field.required]
    return Plan(
        spec=spec,
        header=header,
        fields=fields,
        identifier_column=identifier_column,
        read_only_columns=read_only,
        required_columns=required,
        required_absent=[f.name for f in spec.fields if f.required and f.name not in present],
        checks=checks,
        writable_columns=[i for i, field in enumerate(fields) if not field.read_only],
        absent_defaults=[f for f in spec.fields if f.default is not None and f.name not in present],
        unique_columns=[
            i for i, field in enumerate(fields) if field.unique and i != identifier_column
        ],
        auto_fields=[f for f in spec.fields if f.auto is not None],
        relations=relations,
        limits=tuple(_limit(checks, i) for i in range(len(fields))),
        screens=_screens(checks),
    )


def _limit(checks: list[ColumnCheck], column: int) -> int:
    return next(
        (
            c.check.limit
            for c in checks
            if c.column == column and c.rank == Rank.LENGTH and c.check.limit is not None
        ),
        sys.maxsize,
    )


def _screens(checks: list[ColumnCheck]) -> list[tuple[int, Screen]]:
    # Length checks are screened by `limits`; checks sharing a sure test share one screen.
    tests = {(c.column, c.check.sure or c.check): c.check for c in checks if c.rank != Rank.LENGTH}
    return [(column, screen_of(check)) for (column, _), check in tests.items()]
