"""Object specs shaped like the targets' metadata, for schema unit tests."""

import pytest

from schemas.catalog import FieldSpec, ObjectSpec


@pytest.fixture
def contact() -> ObjectSpec:
    """A Salesforce-like Contact, built from metadata dicts as the target sends them."""
    fields = [
        {"vendorPath": "Id", "vendorNativeType": "id", "vendorReadOnly": True, "createable": False},
        {
            "vendorPath": "LastName",
            "vendorNativeType": "string",
            "vendorRequired": True,
            "length": 80,
        },
        {"vendorPath": "FirstName", "vendorNativeType": "string", "length": 40},
        {"vendorPath": "Email", "vendorNativeType": "email", "length": 80},
        {"vendorPath": "Phone", "vendorNativeType": "phone", "length": 40},
        {"vendorPath": "Title", "vendorNativeType": "string", "length": 128},
        {"vendorPath": "Birthdate", "vendorNativeType": "date", "type": "date"},
        {
            "vendorPath": "Salutation",
            "vendorNativeType": "picklist",
            "restrictedPicklist": True,
            "picklistValues": [
                {"value": v, "label": v, "active": True} for v in ("Mr.", "Ms.", "Dr.")
            ],
        },
        {"vendorPath": "LeadSource", "vendorNativeType": "picklist", "picklistValues": ["Web"]},
        {"vendorPath": "Website__c", "vendorNativeType": "url", "length": 255},
        {
            "vendorPath": "External_Id__c",
            "vendorNativeType": "string",
            "externalId": True,
            "length": 255,
        },
        {"vendorPath": "CreatedDate", "vendorNativeType": "datetime", "vendorReadOnly": True},
    ]
    return ObjectSpec.from_metadata("Contact", {"fields": fields})


@pytest.fixture
def tiny() -> ObjectSpec:
    return ObjectSpec.of("Thing", [FieldSpec("Name", required=True, length=10), FieldSpec("Code")])
