"""The `helpdesk` hub (Salesforce Service Cloud): Contact, Account, Lead and Case."""

from __future__ import annotations

from typing import Any

from sandbox.fields import FieldSpec, NativeType, ObjectSpec

HUB = "helpdesk"

SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
INDUSTRIES = (
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
)
ACCOUNT_TYPES = (
    "Prospect",
    "Customer - Direct",
    "Customer - Channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Technology Partner",
    "Other",
)
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
CASE_PRIORITIES = ("High", "Medium", "Low")
CASE_ORIGINS = ("Phone", "Email", "Web")

_FULL_NAME_SQL = """TRIM(COALESCE("FirstName", '') || ' ' || COALESCE("LastName", ''))"""
_LONG_TEXT = 32000


def _text(name: str, length: int, native: NativeType = "string", **kw: Any) -> FieldSpec:
    return FieldSpec(name, native, length=length, **kw)


def _pick(name: str, values: tuple[str, ...], **kw: Any) -> FieldSpec:
    return FieldSpec(name, "picklist", length=40, picklist=values, **kw)


def _common_head() -> tuple[FieldSpec, ...]:
    return (FieldSpec("Id", "id", length=18, read_only=True, label="Record ID", id_lookup=True),)


def _common_tail() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("CreatedDate", "datetime", read_only=True, auto="created"),
        FieldSpec("LastModifiedDate", "datetime", read_only=True, auto="modified"),
        # Set by a Salesforce delete (the recycle bin); only queryAll sees such records.
        FieldSpec("IsDeleted", "boolean", read_only=True, label="Deleted", default="false"),
    )


def _external_id() -> FieldSpec:
    return _text("External_Id__c", 255, external_id=True, unique=True, id_lookup=True)


def _reference(name: str, label: str, to: str, prefix: str, relationship: str) -> FieldSpec:
    return FieldSpec(
        name,
        "reference",
        length=18,
        label=label,
        reference_prefix=prefix,
        reference_to=to,
        relationship_name=relationship,
    )


def _phones(*names: str) -> tuple[FieldSpec, ...]:
    return tuple(_text(name, 40, "phone") for name in names)


CONTACT = ObjectSpec(
    HUB,
    "Contact",
    (
        *_common_head(),
        _reference("AccountId", "Account ID", "Account", "001", "Account"),
        _text("LastName", 80, required=True),
        _text("FirstName", 40),
        _pick("Salutation", SALUTATIONS, restricted=True),
        FieldSpec(
            "Name",
            "string",
            length=121,
            read_only=True,
            label="Full Name",
            generated_sql=_FULL_NAME_SQL,
        ),
        _text("Title", 128),
        _text("Email", 80, "email", id_lookup=True),
        *_phones("Phone", "MobilePhone", "HomePhone", "OtherPhone", "Fax"),
        _text("Department", 80),
        FieldSpec("Birthdate", "date"),
        _text("Description", _LONG_TEXT, "textarea"),
        _pick("LeadSource", LEAD_SOURCES),
        FieldSpec("HasOptedOutOfEmail", "boolean", label="Email Opt Out"),
        # Salesforce's own writable date-time on Contact (set when an email bounces).
        FieldSpec("EmailBouncedDate", "datetime", label="Email Bounced Date"),
        _text("MailingStreet", 255, "textarea"),
        _text("MailingCity", 40),
        _text("MailingState", 80),
        _text("MailingPostalCode", 20),
        _text("MailingCountry", 80),
        *_common_tail(),
        _external_id(),
    ),
    id_style="salesforce",
    key_prefix="003",
)

LEAD = ObjectSpec(
    HUB,
    "Lead",
    (
        *_common_head(),
        _text("FirstName", 40),
        _text("LastName", 80, required=True),
        _text("Company", 255, required=True),
        FieldSpec(
            "Name",
            "string",
            length=121,
            read_only=True,
            label="Full Name",
            generated_sql=_FULL_NAME_SQL,
        ),
        _text("Title", 128),
        _text("Email", 80, "email", id_lookup=True),
        *_phones("Phone", "MobilePhone"),
        _text("Website", 255, "url"),
        _pick("Status", LEAD_STATUSES, restricted=True, default=LEAD_STATUSES[0]),
        _pick("LeadSource", LEAD_SOURCES),
        _pick("Industry", INDUSTRIES),
        _text("Street", 255, "textarea"),
        _text("City", 40),
        _text("State", 80, label="State/Province"),
        _text("PostalCode", 20, label="Zip/Postal Code"),
        _text("Country", 80),
        _text("Description", _LONG_TEXT, "textarea"),
        FieldSpec("NumberOfEmployees", "int", digits=8, label="Employees"),
        FieldSpec("AnnualRevenue", "currency", digits=18, label="Annual Revenue"),
        *_common_tail(),
        _external_id(),
    ),
    id_style="salesforce",
    key_prefix="00Q",
)

ACCOUNT = ObjectSpec(
    HUB,
    "Account",
    (
        *_common_head(),
        _text("Name", 255, required=True, label="Account Name", id_lookup=True),
        _reference("ParentId", "Parent Account ID", "Account", "001", "Parent"),
        _pick("Type", ACCOUNT_TYPES, label="Account Type"),
        _pick("Industry", INDUSTRIES),
        _text("Website", 255, "url"),
        *_phones("Phone", "Fax"),
        _text("BillingStreet", 255, "textarea"),
        _text("BillingCity", 40),
        _text("BillingState", 80, label="Billing State/Province"),
        _text("BillingPostalCode", 20, label="Billing Zip/Postal Code"),
        _text("BillingCountry", 80),
        FieldSpec("NumberOfEmployees", "int", digits=8, label="Employees"),
        FieldSpec("AnnualRevenue", "currency", digits=18, label="Annual Revenue"),
        _text("AccountNumber", 40),
        _text("Description", _LONG_TEXT, "textarea", label="Account Description"),
        *_common_tail(),
        _external_id(),
    ),
    id_style="salesforce",
    key_prefix="001",
)

CASE = ObjectSpec(
    HUB,
    "Case",
    (
        *_common_head(),
        FieldSpec(
            "CaseNumber",
            "string",
            length=30,
            read_only=True,
            label="Case Number",
            generated_sql="printf('%08d', \"_seq\")",
            id_lookup=True,
        ),
        _text("Subject", 255),
        _text("Description", _LONG_TEXT, "textarea"),
        _pick("Status", CASE_STATUSES, restricted=True, default="New"),
        _pick("Priority", CASE_PRIORITIES, default="Medium"),
        _pick("Origin", CASE_ORIGINS, label="Case Origin"),
        _reference("ContactId", "Contact ID", "Contact", "003", "Contact"),
        _reference("AccountId", "Account ID", "Account", "001", "Account"),
        _text("SuppliedEmail", 80, "email", label="Web Email"),
        _text("SuppliedName", 80, label="Web Name"),
        _text("SuppliedPhone", 40, label="Web Phone"),
        *_common_tail(),
    ),
    id_style="salesforce",
    key_prefix="500",
)

OBJECTS: tuple[ObjectSpec, ...] = (CONTACT, ACCOUNT, LEAD, CASE)
