"""Object specs shaped like a Salesforce Contact and Account, for schema unit tests."""

import pytest

from schemas.catalog import FieldSpec, ObjectSpec


@pytest.fixture
def contact() -> ObjectSpec:
    """A Salesforce-like Contact (as a target's describe parser would build it)."""
    salutations = ("Mr.", "Ms.", "Dr.")
    return ObjectSpec.of(
        "Contact",
        [
            FieldSpec(
                "Id",
                native_type="id",
                read_only=True,
                createable=False,
                updateable=False,
                id_lookup=True,
            ),
            FieldSpec("LastName", required=True, length=80),
            FieldSpec("FirstName", length=40),
            FieldSpec("Email", native_type="email", length=80, id_lookup=True),
            FieldSpec("Phone", native_type="phone", length=40),
            FieldSpec("Title", length=128),
            FieldSpec("Birthdate", native_type="date", type="date"),
            FieldSpec(
                "Salutation",
                native_type="picklist",
                picklist=salutations,
                restricted_picklist=True,
            ),
            FieldSpec("LeadSource", native_type="picklist", picklist=("Web",)),
            FieldSpec("Website__c", native_type="url", length=255),
            FieldSpec("External_Id__c", length=255, external_id=True, id_lookup=True, unique=True),
            FieldSpec(
                "AccountId",
                native_type="reference",
                reference_to=("Account",),
                relationship_name="Account",
            ),
            FieldSpec(
                "CreatedDate",
                native_type="datetime",
                read_only=True,
                createable=False,
                updateable=False,
            ),
            FieldSpec("Department", length=80, createable=True, updateable=False),
        ],
    )


@pytest.fixture
def account() -> ObjectSpec:
    """A Salesforce-like Account, the parent of a Contact's ``Account`` relationship."""
    return ObjectSpec.of(
        "Account",
        [
            FieldSpec("Name", required=True, length=255),
            FieldSpec("External_Id__c", length=255, external_id=True, id_lookup=True),
            FieldSpec("Description", native_type="textarea", length=32000),
        ],
    )


@pytest.fixture
def tiny() -> ObjectSpec:
    return ObjectSpec.of("Thing", [FieldSpec("Name", required=True, length=10), FieldSpec("Code")])
