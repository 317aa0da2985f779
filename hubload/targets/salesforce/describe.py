"""Salesforce's sObject describe (``GET sobjects/{Object}/describe``) into the field catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.catalog import FieldSpec, ObjectSpec, picklist_values


def field_from_describe(raw: Mapping[str, Any]) -> FieldSpec:
    """One element of a describe's ``fields``.

    Required on create means not nillable, createable and not defaulted on create (a checkbox
    is never nillable but always defaulted).

    Raises:
        ValueError: the element has no ``name``.
    """
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"a describe field without a name: {sorted(raw)!r}")
    createable = bool(raw.get("createable", False))
    updateable = bool(raw.get("updateable", False))
    nillable = bool(raw.get("nillable", True))
    defaulted = bool(raw.get("defaultedOnCreate", False))
    kind = str(raw.get("type") or "string").lower()
    length = raw.get("length")
    references = raw.get("referenceTo")
    return FieldSpec(
        name=name,
        native_type=kind,
        type=kind,
        label=str(raw.get("label") or name),
        required=createable and not nillable and not defaulted,
        read_only=not createable and not updateable,
        createable=createable,
        updateable=updateable,
        # Salesforce gives length 0 to the fields it does not limit that way (numbers, dates).
        length=int(length) if isinstance(length, int) and length > 0 else None,
        picklist=picklist_values(raw.get("picklistValues")),
        restricted_picklist=bool(raw.get("restrictedPicklist", False)),
        external_id=bool(raw.get("externalId", False)),
        unique=bool(raw.get("unique", False)),
        id_lookup=bool(raw.get("idLookup", False)),
        reference_to=tuple(str(r) for r in references) if isinstance(references, list) else (),
        relationship_name=str(raw["relationshipName"]) if raw.get("relationshipName") else None,
    )


def object_from_describe(name: str, raw: Any) -> ObjectSpec:
    """An object from the body of a describe call (its own spelling of the name wins).

    Raises:
        ValueError: the body has no ``fields`` list, or a field has no name.
    """
    fields = raw.get("fields") if isinstance(raw, Mapping) else None
    if not isinstance(fields, list):
        raise ValueError(f"the describe of {name!r} has no 'fields' list")
    spelled = raw.get("name") if isinstance(raw.get("name"), str) else name
    return ObjectSpec.of(
        str(spelled), (field_from_describe(f if isinstance(f, Mapping) else {}) for f in fields)
    )


def object_names(raw: Any) -> list[str]:
    """The names in a ``GET sobjects`` answer.

    Raises:
        ValueError: the body has no ``sobjects`` list.
    """
    items = raw.get("sobjects") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        raise ValueError("the sObject list has no 'sobjects'")
    return [str(i["name"]) for i in items if isinstance(i, Mapping) and i.get("name")]
