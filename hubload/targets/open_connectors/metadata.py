"""Open Connectors object metadata (``GET /objects/{object}/metadata``) into the field catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.catalog import FieldSpec, ObjectSpec, picklist_values


def field_from_metadata(raw: Mapping[str, Any]) -> FieldSpec:
    """A field from one element of ``{"fields": [...]}``, tolerant of missing keys.

    The platform names a field by ``vendorPath``; the Salesforce connectors add ``createable``,
    ``updateable`` and ``picklistValues``; a length key is not documented (``length`` or
    ``maxLength`` are read when present).

    Raises:
        ValueError: the element has no ``vendorPath``.
    """
    name = raw.get("vendorPath") or raw.get("path") or raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"field metadata without a vendorPath: {sorted(raw)!r}")
    read_only = bool(raw.get("vendorReadOnly", raw.get("readOnly", False)))
    native = str(raw.get("vendorNativeType") or raw.get("type") or "string").lower()
    length = raw.get("length", raw.get("maxLength"))
    references = raw.get("referenceTo")
    external_id = bool(raw.get("externalId", False))
    return FieldSpec(
        name=name,
        native_type=native,
        type=str(raw.get("type") or "string").lower(),
        label=str(raw.get("vendorDisplayName") or name),
        required=bool(raw.get("vendorRequired", raw.get("required", False))),
        read_only=read_only,
        createable=bool(raw.get("createable", not read_only)),
        updateable=bool(raw.get("updateable", not read_only)),
        length=int(length) if isinstance(length, int | str) and str(length).isdigit() else None,
        picklist=picklist_values(raw.get("picklistValues")),
        restricted_picklist=bool(raw.get("restrictedPicklist", False)),
        external_id=external_id,
        unique=bool(raw.get("unique", False)),
        id_lookup=bool(raw.get("idLookup", external_id or native == "id")),
        reference_to=tuple(str(r) for r in references) if isinstance(references, list) else (),
        relationship_name=str(raw["relationshipName"]) if raw.get("relationshipName") else None,
    )


def object_from_metadata(name: str, raw: Any) -> ObjectSpec:
    """An object from the body of ``GET /objects/{name}/metadata``.

    Raises:
        ValueError: the body is not an object with a ``fields`` list, or a field has no name.
    """
    fields = raw.get("fields") if isinstance(raw, Mapping) else None
    if not isinstance(fields, list):
        raise ValueError(f"metadata of {name!r} has no 'fields' list")
    return ObjectSpec.of(
        name, (field_from_metadata(f if isinstance(f, Mapping) else {}) for f in fields)
    )
