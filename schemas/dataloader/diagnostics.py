"""What Data Loader does silently with a mapping entry, said out loud: one diagnostic per event.

A diagnostic is an ``error`` where Data Loader's behaviour would surprise a user into losing data
(a value they wrote never reaches Salesforce, or the file's data is altered), a ``warning``
where the entry is odd but harmless, and ``info`` for a faithful translation worth knowing.

| code                      | severity | why                                                      |
|---------------------------|----------|----------------------------------------------------------|
| unterminated-constant     | error    | ``" " = X`` or ``"Some Value"=X``: the key stops at the  |
|                           |          | space, so the constant is never set (Data Loader drops   |
|                           |          | the line as a column that does not exist)                |
| stray-comma-key           | error    | ``A,=X``: Data Loader stores it but never reads A into X |
| constant-overrides-column | error    | a constant and a column both set a field: Data Loader    |
|                           |          | applies constants last, the column's data is discarded   |
| field-set-twice           | error    | two columns (or two constants) set one field (any case): |
|                           |          | one is silently discarded                                |
| key-replaced              | error    | a later line with the same key (or the same key in       |
|                           |          | another case) replaces one that wrote other fields       |
| malformed-lookup          | error    | a destination with ``:``/``-`` that is no lookup form    |
|                           |          | (Data Loader fails: "Field mapping is invalid")          |
| mojibake-suspected        | error    | UTF-8 bytes read as ISO-8859-1 (as Data Loader does):    |
|                           |          | ``é`` becomes ``Ã©`` in a column name or a constant     |
| key-repeated              | warning  | a repeated key that changes nothing (same fields, or     |
|                           |          | replacing a dead or unmapped line)                       |
| empty-key                 | warning  | ``=X``: a mapping from a column named "" (none is);      |
|                           |          | Data Loader never sets X                                 |
| constant-to-no-field      | warning  | ``"4-205817"=``: a constant assigned to nothing          |
| empty-field-token         | warning  | ``a,,b`` / ``a, ,b``: an empty field name, dropped       |
| unmapped-column           | info     | ``CREATEDBYID=``: the column is deliberately not loaded  |
| empty-constant            | info     | ``""=X``: X is set to the empty string (stored as null)  |
| composite-source          | info     | ``A,B=X``: the columns joined with ", " (Data Loader     |
|                           |          | keeps only the first when X is not a text field)         |
| lookup                    | info     | a parent found by one of its fields                      |

Checks needing the CSV header or the object's fields (an unknown column, a field not on the
object, a composite into a non-text field, an unknown relationship) are made at plan time
against ``LoadMap.columns_read()``, ``fields_written()``, ``lookups()`` and ``composites()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a diagnostic matters (see the table above)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """What happened to an entry; each code has one severity (``SEVERITY``)."""

    UNTERMINATED_CONSTANT = "unterminated-constant"
    STRAY_COMMA_KEY = "stray-comma-key"
    CONSTANT_OVERRIDES_COLUMN = "constant-overrides-column"
    FIELD_SET_TWICE = "field-set-twice"
    KEY_REPLACED = "key-replaced"
    MALFORMED_LOOKUP = "malformed-lookup"
    MOJIBAKE_SUSPECTED = "mojibake-suspected"
    KEY_REPEATED = "key-repeated"
    EMPTY_KEY = "empty-key"
    CONSTANT_TO_NO_FIELD = "constant-to-no-field"
    EMPTY_FIELD_TOKEN = "empty-field-token"  # noqa: S105 - a code, not a secret
    UNMAPPED_COLUMN = "unmapped-column"
    EMPTY_CONSTANT = "empty-constant"
    COMPOSITE_SOURCE = "composite-source"
    LOOKUP = "lookup"


SEVERITY: dict[Code, Severity] = {
    Code.UNTERMINATED_CONSTANT: Severity.ERROR,
    Code.STRAY_COMMA_KEY: Severity.ERROR,
    Code.CONSTANT_OVERRIDES_COLUMN: Severity.ERROR,
    Code.FIELD_SET_TWICE: Severity.ERROR,
    Code.KEY_REPLACED: Severity.ERROR,
    Code.MALFORMED_LOOKUP: Severity.ERROR,
    Code.MOJIBAKE_SUSPECTED: Severity.ERROR,
    Code.KEY_REPEATED: Severity.WARNING,
    Code.EMPTY_KEY: Severity.WARNING,
    Code.CONSTANT_TO_NO_FIELD: Severity.WARNING,
    Code.EMPTY_FIELD_TOKEN: Severity.WARNING,
    Code.UNMAPPED_COLUMN: Severity.INFO,
    Code.EMPTY_CONSTANT: Severity.INFO,
    Code.COMPOSITE_SOURCE: Severity.INFO,
    Code.LOOKUP: Severity.INFO,
}


@dataclass(frozen=True)
class Diagnostic:
    """One event at one line of one file, in one line of text that names the entry."""

    path: str
    line: int
    code: Code
    message: str

    @property
    def severity(self) -> Severity:
        """The code's severity (fixed per code, so that reports can be filtered by it)."""
        return SEVERITY[self.code]

    def __str__(self) -> str:
        return f"{self.path}: line {self.line}: {self.severity}: {self.message} [{self.code}]"


def errors(diagnostics: tuple[Diagnostic, ...]) -> tuple[Diagnostic, ...]:
    """The diagnostics of severity ``error``."""
    return tuple(d for d in diagnostics if d.severity is Severity.ERROR)
