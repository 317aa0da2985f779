"""The object field catalogue: a target object's fields, parsed from its bulk API metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# vendorNativeType values that carry a format the loader checks before submitting.
EMAIL_TYPES = frozenset({"email"})
PHONE_TYPES = frozenset({"phone"})
URL_TYPES = frozenset({"url"})
DATE_TYPES = frozenset({"date"})
DATETIME_TYPES = frozenset({"datetime"})
INTEGER_TYPES = frozenset({"int", "integer"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "number", "decimal"})
BOOLEAN_TYPES = frozenset({"boolean", "checkbox"})
PICKLIST_TYPES = frozenset({"picklist", "multipicklist"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of a target object, as its metadata describes it."""

    name: str
    native_type: str = "string"
    type: str = "string"
    display_name: str = ""
    required: bool = False
    read_only: bool = False
    createable: bool = True
    updateable: bool = True
    length: int | None = None
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    external_id: bool = False
    unique: bool = False

    @classmethod
    def from_metadata(cls, raw: Mapping[str, Any]) -> FieldSpec:
        """Build a field from one element of ``{"fields": [...]}``, tolerant of missing keys.

        Raises:
            ValueError: the element has no ``vendorPath``.
        """
        name = raw.get("vendorPath") or raw.get("path") or raw.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"field metadata without a vendorPath: {dict(raw)!r}")
        read_only = bool(raw.get("vendorReadOnly", raw.get("readOnly", False)))
        native = str(raw.get("vendorNativeType") or raw.get("type") or "string").lower()
        length = raw.get("length", raw.get("maxLength"))
        return cls(
            name=name,
            native_type=native,
            type=str(raw.get("type") or "string").lower(),
            display_name=str(raw.get("vendorDisplayName") or name),
            required=bool(raw.get("vendorRequired", raw.get("required", False))),
            read_only=read_only,
            createable=bool(raw.get("createable", not read_only)),
            updateable=bool(raw.get("updateable", not read_only)),
            length=int(length) if isinstance(length, int | str) and str(length).isdigit() else None,
            picklist=_picklist_values(raw.get("picklistValues")),
            restricted_picklist=bool(raw.get("restrictedPicklist", False)),
            external_id=bool(raw.get("externalId", False)),
            unique=bool(raw.get("unique", False)),
        )

    def writable(self, *, upsert: bool) -> bool:
        """Whether a load may set this field (insert needs createable; upsert either)."""
        if self.read_only:
            return False
        return self.createable or (upsert and self.updateable)


def _picklist_values(raw: object) -> tuple[str, ...]:
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
    def from_metadata(cls, name: str, raw: Mapping[str, Any]) -> ObjectSpec:
        """Build an object from the body of ``GET /objects/{name}/metadata``.

        Raises:
            ValueError: the body has no ``fields`` list or a field has no name.
        """
        fields = raw.get("fields")
        if not isinstance(fields, list):
            raise ValueError(f"metadata of {name!r} has no 'fields' list")
        return cls.of(name, (FieldSpec.from_metadata(f) for f in fields))

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
