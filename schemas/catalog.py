"""The object field catalogue: a target object's fields, whichever target described them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

# Native field types that carry a format the loader checks before submitting (Salesforce's
# names, which both targets pass on).
EMAIL_TYPES = frozenset({"email"})
PHONE_TYPES = frozenset({"phone"})
URL_TYPES = frozenset({"url"})
DATE_TYPES = frozenset({"date"})
DATETIME_TYPES = frozenset({"datetime"})
INTEGER_TYPES = frozenset({"int", "integer"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "number", "decimal"})
BOOLEAN_TYPES = frozenset({"boolean", "checkbox"})
PICKLIST_TYPES = frozenset({"picklist", "multipicklist"})
ID_TYPES = frozenset({"id", "reference"})


WriteMode = Literal["create", "upsert", "update"]
"""How a load sets fields: on records it creates, creates or updates, or only updates."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a target object, as its target describes it (each target's parser builds
    these: this layer knows no target's shape)."""

    name: str
    native_type: str = "string"
    type: str = "string"
    label: str = ""
    required: bool = False
    """The field must be set when a record is created (not nillable, createable, no default)."""
    read_only: bool = False
    createable: bool = True
    updateable: bool = True
    length: int | None = None
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    external_id: bool = False
    unique: bool = False
    id_lookup: bool = False
    """Records can be found by this field (an external id, the record Id, a unique name)."""
    reference_to: tuple[str, ...] = ()
    """For a reference field: the objects it can point to."""
    relationship_name: str | None = None
    """For a reference field: the name a CSV header uses to give its parent by a lookup field
    (``Account`` in ``Account.External_Id__c``)."""

    def writable(self, mode: WriteMode) -> bool:
        """Whether a load may set this field: a create needs createable, an update updateable,
        an upsert either."""
        if self.read_only:
            return False
        if mode == "create":
            return self.createable
        if mode == "update":
            return self.updateable
        return self.createable or self.updateable


def picklist_values(raw: object) -> tuple[str, ...]:
    """The active values of a picklist given as strings or as ``{"value", "active"}`` items."""
    if not isinstance(raw, list):
        return ()
    values: list[str] = []
    for item in raw:
        if isinstance(item, str):
            values.append(item)
        elif isinstance(item, Mapping) and item.get("active", True) is not False:
            value = item.get("value", item.get("label"))
            if isinstance(value, str):
                values.append(value)
    return tuple(values)


@dataclass(frozen=True)
class ObjectSpec:
    """A target object: its name and its fields by API name."""

    name: str
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, fields: Iterable[FieldSpec]) -> ObjectSpec:
        """Build an object from field specs, keyed by their names."""
        return cls(name=name, fields={f.name: f for f in fields})

    def field_named(self, name: str) -> FieldSpec | None:
        """The field with this API name, matched exactly, else case-insensitively."""
        if name in self.fields:
            return self.fields[name]
        lowered = name.lower()
        matches = [f for f in self.fields.values() if f.name.lower() == lowered]
        return matches[0] if len(matches) == 1 else None

    def required_fields(self) -> list[FieldSpec]:
        """Fields an insert must set."""
        return [f for f in self.fields.values() if f.required and not f.read_only]

    def relationship(self, name: str) -> FieldSpec | None:
        """The reference field whose relationship is named ``name`` (any case)."""
        lowered = name.lower()
        for spec in self.fields.values():
            if spec.relationship_name and spec.relationship_name.lower() == lowered:
                return spec
        return None
