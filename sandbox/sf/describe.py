"""`GET sobjects` and `GET sobjects/{Object}/describe`: the helpdesk objects as Salesforce
describes them, from the same catalogue the record checks use.

A field is required on create when it is not nillable, createable and not defaulted on create:
exactly the fields the checks refuse to leave empty.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.catalogue import HUBS
from sandbox.context import SandboxContext
from sandbox.fields import FieldSpec, ObjectSpec
from sandbox.sf.api import check_version, not_found

HUB = "helpdesk"
_PLURALS = {"Case": "Cases", "Contact": "Contacts", "Account": "Accounts", "Lead": "Leads"}
_NUMBERS = ("int", "double", "currency")


def org_object(name: str) -> ObjectSpec | None:
    """The org's object `name` (case-insensitive, no plural: Salesforce's API names)."""
    return next((s for s in HUBS[HUB] if s.name.lower() == name.lower()), None)


def describe_field(field: FieldSpec) -> dict[str, Any]:
    """One element of a describe's `fields`."""
    defaulted = (
        field.default is not None
        or field.auto is not None
        or field.generated_sql is not None
        or field.native in ("id", "boolean")
    )
    nillable = not (field.required or defaulted)
    text = field.native not in (*_NUMBERS, "boolean", "date", "datetime")
    whole = field.native == "int"
    return {
        "name": field.name,
        "label": field.display_name,
        "type": field.native,
        "length": (field.length or 0) if text else 0,
        "precision": 0 if whole else (field.digits or 0),
        "scale": 0,
        "digits": (field.digits or 0) if whole else 0,
        "nillable": nillable,
        "createable": not field.read_only,
        "updateable": not field.read_only,
        "defaultedOnCreate": defaulted,
        "unique": field.unique,
        "externalId": field.external_id,
        "idLookup": field.id_lookup,
        "filterable": field.filterable,
        "custom": field.name.endswith("__c"),
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == field.default,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in field.picklist
        ],
        "restrictedPicklist": field.restricted,
        "referenceTo": [field.reference_to] if field.reference_to else [],
        "relationshipName": field.relationship_name,
    }


def _summary(spec: ObjectSpec, version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{spec.name}"
    return {
        "name": spec.name,
        "label": spec.name,
        "labelPlural": _PLURALS.get(spec.name, spec.name + "s"),
        "keyPrefix": spec.key_prefix,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "custom": False,
        "urls": {"sobject": base, "describe": base + "/describe"},
    }


async def list_sobjects(request: Request, ctx: SandboxContext) -> Response:
    """`GET /services/data/vXX.X/sobjects`."""
    version = check_version(request.path_params["version"])
    return JSONResponse(
        {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [_summary(spec, version) for spec in HUBS[HUB]],
        }
    )


async def describe(request: Request, ctx: SandboxContext) -> Response:
    """`GET /services/data/vXX.X/sobjects/{Object}/describe`."""
    version = check_version(request.path_params["version"])
    spec = org_object(request.path_params["object"])
    if spec is None:
        raise not_found()
    body = _summary(spec, version)
    body["fields"] = [describe_field(field) for field in spec.fields]
    return JSONResponse(body)
