"""Names in Data Loader's mappings: comma lists, lookup destinations and Salesforce field names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_IDENTIFIER_PART = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*\Z")
# Suffixes a field's API name can end in: custom (__c), person account (__pc), geolocation
# components (__s), and a relationship (__r, in lookups and extract paths).
_FIELD_SUFFIXES = frozenset({"c", "pc", "s", "r"})


def java_trim(text: str) -> str:
    """``String.trim()``: strips characters up to U+0020 (not Python's Unicode whitespace)."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def comma_tokens(text: str) -> tuple[list[str], int]:
    """A ``StringTokenizer(text, ",")`` list, each token trimmed, empty ones dropped; and how
    many were empty or blank (``a,,b``, ``a, ,b``) in a text that has a comma."""
    tokens = [java_trim(token) for token in text.split(",")]
    kept = [token for token in tokens if token]
    return kept, (len(tokens) - len(kept) if "," in text else 0)


def is_field_name(name: str) -> bool:
    """Whether ``name`` can be a Salesforce field's API name (in any case): a standard name
    has no underscore; a custom one ends in ``__c`` (or ``__pc``, ``__s``, ``__r``), with
    single underscores inside and an optional namespace."""
    parts = name.split("__")
    if not all(_IDENTIFIER_PART.match(part) for part in parts):
        return False
    if len(parts) == 1:
        return "_" not in name
    return len(parts) <= 4 and parts[-1].lower() in _FIELD_SUFFIXES


def is_field_path(name: str) -> bool:
    """Whether ``name`` is a field or a relationship path (``Account.Owner.Name``)."""
    return all(is_field_name(part) for part in name.split("."))


class LookupSyntax(StrEnum):
    """Data Loader's two ways of giving a parent by one of its fields."""

    LEGACY = "legacy"
    """``Relationship:IdLookupField`` (``Owner:username``)."""
    POLYMORPHIC = "polymorphic"
    """``Relationship:ParentObject-IdLookupField`` (``Who:Contact-Email``)."""


@dataclass(frozen=True)
class Lookup:
    """A parent record given by one of its id-lookup (or external id) fields."""

    relationship: str
    field: str
    parent_object: str | None
    syntax: LookupSyntax

    @property
    def header(self) -> str:
        """The Bulk API 2.0 header form, ``Relationship.Field``."""
        return f"{self.relationship}.{self.field}"


@dataclass(frozen=True)
class Destination:
    """One target of an entry: a field, or a lookup through a relationship."""

    text: str
    """As written (trimmed)."""
    lookup: Lookup | None = None

    @property
    def field(self) -> str:
        """The upload column it gives: the field, or the lookup's ``Relationship.Field``."""
        return self.lookup.header if self.lookup else self.text


class LookupFormatError(ValueError):
    """A destination with ``:`` or ``-`` that is not one of Data Loader's lookup forms."""


def parse_destination(text: str) -> Destination:
    """Read one destination token as ``ParentIdLookupFieldFormatter`` does.

    Raises:
        LookupFormatError: ``:`` or ``-`` present but not as ``Rel:Field`` or
            ``Rel:Parent-Field``, or a part empty.
    """
    if ":" not in text and "-" not in text:
        return Destination(text)
    head, dash, field = text.partition("-")
    if dash:
        relationship, colon, parent = head.partition(":")
        if not colon:
            raise LookupFormatError(f"{text!r} has '-' but no ':' (Rel:Parent-Field)")
        syntax: LookupSyntax = LookupSyntax.POLYMORPHIC
    else:
        relationship, _, field = text.partition(":")
        parent, syntax = "", LookupSyntax.LEGACY
    parts = [relationship, field] + ([parent] if dash else [])
    if any(not part or ":" in part or "-" in part for part in parts):
        raise LookupFormatError(
            f"{text!r} is not Rel:Field nor Rel:Parent-Field (one ':' and at most one '-')"
        )
    return Destination(text, Lookup(relationship, field, parent or None, syntax))
