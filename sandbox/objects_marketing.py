"""The `marketing` hub (Eloqua style): contact, account, campaign, list and activities."""

from __future__ import annotations

from typing import Any

from sandbox.fields import FieldSpec, NativeType, ObjectSpec

HUB = "marketing"
# Eloqua's text fields hold 100 characters; its large text fields 32,000.
_TEXT = 100
_LARGE_TEXT = 32000

ACTIVITY_TYPES = (
    "EmailSend",
    "EmailOpen",
    "EmailClickThrough",
    "FormSubmit",
    "PageView",
    "WebVisit",
)
LIST_SCOPES = ("global", "local")


def _id() -> FieldSpec:
    # Marketing ids are the record's sequence number: computed, so inserts bind nothing for it.
    return FieldSpec(
        "id", "id", length=None, read_only=True, label="Id", generated_sql='CAST("_seq" AS TEXT)'
    )


def _text(name: str, native: NativeType = "string", length: int = _TEXT, **kw: Any) -> FieldSpec:
    return FieldSpec(name, native, length=length, **kw)


CONTACT = ObjectSpec(
    HUB,
    "contact",
    (
        _id(),
        _text("C_EmailAddress", "email", 400, required=True, label="Email Address"),
        _text("C_FirstName", label="First Name"),
        _text("C_LastName", label="Last Name"),
        _text("C_Title", label="Title"),
        _text("C_BusPhone", "phone", label="Business Phone"),
        _text("C_MobilePhone", "phone", label="Mobile Phone"),
        _text("C_Company", label="Company"),
        _text("C_Website1", "url", label="Website"),
        _text("C_Address1", label="Address 1"),
        _text("C_City", label="City"),
        _text("C_State_Prov", label="State or Province"),
        _text("C_Zip_Postal", label="Zip or Postal Code"),
        _text("C_Country", label="Country"),
    ),
    id_style="integer",
)

ACCOUNT = ObjectSpec(
    HUB,
    "account",
    (
        _id(),
        _text("M_CompanyName", required=True, label="Company Name"),
        _text("M_BusPhone", "phone", label="Business Phone"),
        _text("M_Address1", label="Address 1"),
        _text("M_City", label="City"),
        _text("M_State_Prov", label="State or Province"),
        _text("M_Zip_Postal", label="Zip or Postal Code"),
        _text("M_Country", label="Country"),
        _text("M_Website", "url", label="Website"),
    ),
    id_style="integer",
)

CAMPAIGN = ObjectSpec(
    HUB,
    "campaign",
    (
        _id(),
        _text("name", required=True),
        _text("description", "textarea", _LARGE_TEXT),
        FieldSpec("startAt", "date", label="Start Date"),
        FieldSpec("endAt", "date", label="End Date"),
        FieldSpec("budgetedCost", "currency", digits=18, label="Budgeted Cost"),
        FieldSpec("isMemberAllowedReEntry", "boolean", label="Allow Re-Entry"),
    ),
    id_style="integer",
)

LIST = ObjectSpec(
    HUB,
    "list",
    (
        _id(),
        _text("name", required=True),
        _text("description", "textarea", _LARGE_TEXT),
        FieldSpec("scope", "picklist", length=40, picklist=LIST_SCOPES, restricted=True),
        FieldSpec("count", "int", digits=10, read_only=True),
    ),
    id_style="integer",
)

ACTIVITIES = ObjectSpec(
    HUB,
    "activities",
    (
        _id(),
        FieldSpec(
            "type",
            "picklist",
            length=40,
            picklist=ACTIVITY_TYPES,
            restricted=True,
            required=True,
            label="Activity Type",
        ),
        FieldSpec("contactId", "int", digits=10, required=True, label="Contact Id"),
        FieldSpec("activityDate", "datetime", required=True, label="Activity Date"),
        _text("assetName", label="Asset Name"),
        _text("assetType", label="Asset Type"),
        FieldSpec("campaignId", "int", digits=10, label="Campaign Id"),
    ),
    id_style="integer",
)

# The order of the seed page's `GET /objects` answer.
OBJECTS: tuple[ObjectSpec, ...] = (ACTIVITIES, CONTACT, CAMPAIGN, LIST, ACCOUNT)
