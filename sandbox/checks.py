"""Per-field value checks, compiled once per column, and Salesforce's record error strings.

Every check treats an empty value and `#N/A` as null, which is always well-formed: whether a
null is allowed is the required-field check's business, not the value checks'.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum

from sandbox.fields import FieldSpec
from sandbox.ids import id_pattern, looks_like_id

NA = "#N/A"


def _ascii(pattern: str) -> re.Pattern[str]:
    """Compiled with ASCII classes: `\\d` is 0-9 only (no Arabic-Indic digit, which a plain
    `\\d` matches), and `(?i)` folds no long s to `s`."""
    return re.compile(pattern, re.ASCII)


# Possessive quantifiers: no backtracking, so a clean column is checked at C speed.
_EMAIL_PATTERN = (
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++)*+"
    r"@(?:[A-Za-z0-9-]++\.)++[A-Za-z]{2,}"
)
_EMAIL = _ascii(_EMAIL_PATTERN).fullmatch
_DATE = _ascii(r"\d{4}-\d{2}-\d{2}").fullmatch
_DATETIME = _ascii(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})"
).fullmatch
_INT = _ascii(r"[+-]?\d+").fullmatch
_DECIMAL = _ascii(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?").fullmatch
BOOLEANS = ("true", "false", "1", "0")


def _sure(pattern: str) -> re.Pattern[str]:
    """A sure test: `pattern` or the empty value, in ASCII."""
    return _ascii(f"(?:{pattern})?")


# "Sure" tests: C-speed regexes whose full match proves a value clean (empty included); a
# value they refuse is only a suspect, judged by the exact check. None of them matches a
# newline (`sandbox.screens` relies on it to test a whole column in one match).
_SURE_DATE = r"[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
_SURE = {
    "email": _sure(_EMAIL_PATTERN),
    "date": _sure(_SURE_DATE),
    "datetime": _sure(
        f"{_SURE_DATE}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{{1,3}})?"
        r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)"
    ),
    "boolean": _sure(r"(?i:true|false|1|0)"),
}


class Rank(IntEnum):
    """Which value check wins when a record breaks several: the lowest rank."""

    EMAIL = 1
    LENGTH = 2
    PICKLIST = 3
    TYPE = 4


@dataclass(frozen=True, slots=True)
class ValueCheck:
    """One check of one field: `bad(value)` is cheap; `message(value)` runs only on failure.

    `sure`, a regex that fully matches or a set that holds a value, proves the value clean.
    """

    rank: Rank
    bad: Callable[[str], bool]
    message: Callable[[str], str]
    limit: int | None = None
    sure: re.Pattern[str] | frozenset[str] | None = None


def record_error(code: str, message: str, fields: Iterable[str] = ()) -> str:
    """Salesforce's `CODE:message:fields --` string (`CODE:message:--` without fields)."""
    names = ",".join(fields)
    return f"{code}:{message}:{names} --" if names else f"{code}:{message}:--"


def _is_null(value: str) -> bool:
    return value in ("", NA)


def _valid_date(value: str) -> bool:
    if _DATE(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _valid_datetime(value: str) -> bool:
    match = _DATETIME(value)
    if match is None or not _valid_date(match.group(1)):
        return False
    zone = match.group(5)
    normalized = value if zone == "Z" or ":" in zone else f"{value[:-2]}:{value[-2:]}"
    try:
        datetime.fromisoformat(normalized)
    except ValueError:
        return False
    return True


def _too_big(value: str, digits: int) -> bool:
    return abs(Decimal(value)) >= Decimal(10) ** digits


def _length_check(spec: FieldSpec, limit: int) -> ValueCheck:
    def bad(value: str) -> bool:
        return len(value) > limit and value != NA

    def message(value: str) -> str:
        text = f"{spec.display_name}: data value too large: {value} (max length={limit})"
        return record_error("STRING_TOO_LONG", text, [spec.name])

    return ValueCheck(Rank.LENGTH, bad, message, limit)


def _type_error(spec: FieldSpec) -> Callable[[str], str]:
    def message(value: str) -> str:
        text = f"{spec.display_name}: value not of required type: {value}"
        return record_error("INVALID_TYPE_ON_FIELD_IN_RECORD", text, [spec.name])

    return message


def _format_check(
    spec: FieldSpec, valid: Callable[[str], bool], sure: re.Pattern[str] | None = None
) -> ValueCheck:
    def bad(value: str) -> bool:
        return not _is_null(value) and not valid(value)

    return ValueCheck(Rank.TYPE, bad, _type_error(spec), sure=sure)


def _number_checks(spec: FieldSpec) -> list[ValueCheck]:
    pattern = _INT if spec.native == "int" else _DECIMAL
    digits = spec.digits
    whole = f"\\d{{1,{digits}}}" if digits is not None else r"\d+"
    fraction = "" if spec.native == "int" else r"(?:\.\d*)?"
    sure = _sure(f"[+-]?{whole}{fraction}")
    checks = [_format_check(spec, lambda value: pattern(value) is not None, sure)]
    if digits is not None:

        def bad(value: str) -> bool:
            return not _is_null(value) and pattern(value) is not None and _too_big(value, digits)

        def message(value: str) -> str:
            text = f"{spec.display_name}: value outside of valid range on numeric field: {value}"
            return record_error("NUMBER_OUTSIDE_VALID_RANGE", text, [spec.name])

        checks.append(ValueCheck(Rank.TYPE, bad, message, sure=sure))
    return checks


def _email_check(spec: FieldSpec) -> ValueCheck:
    def bad(value: str) -> bool:
        return not _is_null(value) and _EMAIL(value) is None

    def message(value: str) -> str:
        text = f"{spec.display_name}: invalid email address: {value}"
        return record_error("INVALID_EMAIL_ADDRESS", text, [spec.name])

    return ValueCheck(Rank.EMAIL, bad, message, sure=_SURE["email"])


def _picklist_check(spec: FieldSpec) -> ValueCheck:
    allowed = frozenset((*spec.picklist, "", NA))

    def bad(value: str) -> bool:
        return value not in allowed

    def message(value: str) -> str:
        text = f"{spec.display_name}: bad value for restricted picklist field: {value}"
        return record_error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", text, [spec.name])

    return ValueCheck(Rank.PICKLIST, bad, message, sure=allowed)


def _reference_check(spec: FieldSpec, prefix: str) -> ValueCheck:
    def bad(value: str) -> bool:
        return not _is_null(value) and not looks_like_id(value, prefix)

    def message(value: str) -> str:
        text = f"{spec.display_name}: id value of incorrect type: {value}"
        return record_error("MALFORMED_ID", text, [spec.name])

    sure = _sure(id_pattern(prefix))
    return ValueCheck(Rank.TYPE, bad, message, sure=sure)


def value_checks(spec: FieldSpec, key_prefix: str = "") -> list[ValueCheck]:
    """The checks a value of `spec` must pass; phones and urls only have their length checked.

    `key_prefix` is the object's own prefix, used when the record id itself is checked.
    """
    checks: list[ValueCheck] = []
    native = spec.native
    if native == "email":
        checks.append(_email_check(spec))
    if spec.length is not None and native not in ("id", "reference"):
        checks.append(_length_check(spec, spec.length))
    if native == "picklist" and spec.restricted:
        checks.append(_picklist_check(spec))
    if native == "date":
        checks.append(_format_check(spec, _valid_date, _SURE["date"]))
    elif native == "datetime":
        checks.append(_format_check(spec, _valid_datetime, _SURE["datetime"]))
    elif native == "boolean":
        checks.append(
            _format_check(spec, lambda value: value.lower() in BOOLEANS, _SURE["boolean"])
        )
    elif native in ("int", "double", "currency"):
        checks.extend(_number_checks(spec))
    elif native == "reference":
        checks.append(_reference_check(spec, spec.reference_prefix or ""))
    elif native == "id" and key_prefix:
        checks.append(_reference_check(spec, key_prefix))
    return checks


def read_only_error(fields: list[str]) -> str:
    """A value given for fields the profile cannot write."""
    text = (
        f"Unable to create/update fields: {', '.join(fields)}. Please check the security "
        "settings of this field and verify that it is read/write for your profile or "
        "permission set."
    )
    return record_error("INVALID_FIELD_FOR_INSERT_UPDATE", text, fields)


def required_error(fields: list[str]) -> str:
    """Required fields left null."""
    return record_error(
        "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(fields)}]", fields
    )


def malformed_row_error(got: int, expected: int) -> str:
    """A data row whose field count differs from the header's."""
    return record_error("MALFORMED_ROW", f"Row has {got} fields but the header has {expected}")


def duplicate_value_error(field: str, other_id: str) -> str:
    """A unique field's value already held by another record."""
    text = f"duplicate value found: {field} duplicates value on record with id: {other_id}"
    return record_error("DUPLICATE_VALUE", text)


def duplicate_in_file_error(field: str, value: str) -> str:
    """The same upsert identifier twice in one file (reported on the later rows)."""
    return record_error("DUPLICATE_VALUE", f"Duplicate external id specified: {value}", [field])


def duplicate_external_id_error(field: str, label: str, ids: list[str]) -> str:
    """An upsert identifier matching more than one stored record."""
    text = f"{label}: more than one record found for external id field: [{', '.join(ids)}]"
    return record_error("DUPLICATE_EXTERNAL_ID", text, [field])


def missing_identifier_error(field: str) -> str:
    """An upsert row with an empty identifier value."""
    return record_error("MISSING_ARGUMENT", f"{field} not specified")


def unknown_id_error(field: str) -> str:
    """An upsert on the record id naming no stored record."""
    return record_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])


def entity_deleted_error() -> str:
    """An update or delete naming a record in the recycle bin."""
    return record_error("ENTITY_IS_DELETED", "entity is deleted")


def missing_parent_error(value: str, field: FieldSpec, parent: str) -> str:
    """A parent named by external id (`Account.External_Id__c`) that no record holds."""
    text = f"Foreign key external ID: {value} not found for field {field.name} in entity {parent}"
    return record_error("INVALID_FIELD", text)


def ambiguous_parent_error(value: str, field: FieldSpec, parent: str) -> str:
    """A parent named by external id that several records hold."""
    text = (
        f"Foreign key external ID: {value} matches more than one record for field "
        f"{field.name} in entity {parent}"
    )
    return record_error("INVALID_FIELD", text)


def lock_error(record_id: str) -> str:
    """The simulated record-lock failure of parallel mode."""
    text = f"unable to obtain exclusive access to this record or 1 records: {record_id}"
    return record_error("UNABLE_TO_LOCK_ROW", text)
