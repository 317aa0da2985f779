"""Open Connectors' own shapes: object metadata into the field catalogue, error elements."""

from hubload.targets.open_connectors.client import record_error
from hubload.targets.open_connectors.metadata import object_from_metadata


def test_metadata_is_parsed() -> None:
    contact = object_from_metadata(
        "Contact",
        {
            "fields": [
                {"vendorPath": "Id", "vendorNativeType": "id", "vendorReadOnly": True},
                {"vendorPath": "LastName", "vendorRequired": True, "length": 80},
                {
                    "vendorPath": "Salutation",
                    "vendorNativeType": "picklist",
                    "restrictedPicklist": True,
                    "picklistValues": [
                        {"value": v, "label": v, "active": v != "Sir"}
                        for v in ("Mr.", "Ms.", "Sir")
                    ],
                },
                {
                    "vendorPath": "LeadSource",
                    "vendorNativeType": "picklist",
                    "picklistValues": ["Web"],
                },
                {"vendorPath": "External_Id__c", "externalId": True, "length": "255"},
            ]
        },
    )
    sal = contact.fields["Salutation"]
    assert sal.picklist == ("Mr.", "Ms.") and sal.restricted_picklist  # inactive values dropped
    assert contact.fields["LeadSource"].picklist == ("Web",)
    assert contact.fields["LastName"].required and contact.fields["LastName"].length == 80
    assert not contact.fields["Id"].writable("upsert") and contact.fields["Id"].id_lookup
    assert (
        contact.fields["External_Id__c"].external_id and contact.fields["External_Id__c"].id_lookup
    )
    assert [f.name for f in contact.required_fields()] == ["LastName"]
    assert contact.field_named("lastname") is contact.fields["LastName"]


def test_element_spellings() -> None:
    a = record_error(
        {
            "recordNumber": 3,
            "error": "UNABLE_TO_LOCK_ROW:busy:--",
            "record": {"Email": "a@b.c", "N": None},
        }
    )
    assert a.record_number == 3 and a.transient and a.record == {"Email": "a@b.c", "N": ""}
    b = record_error({"lineNumber": "4", "message": "DUPLICATE_VALUE:dup:--"})
    assert b.record_number == 4 and b.code == "DUPLICATE_VALUE" and not b.transient
    c = record_error({})
    assert c.record_number is None and c.code == "UNKNOWN_ERROR"
