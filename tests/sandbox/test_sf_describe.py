"""`sobjects` and `describe`: the org's objects, their fields, and required fields that agree
with the record checks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox.conftest import Faces

OBJECTS = ["Contact", "Account", "Lead", "Case"]
FIELD_KEYS = {
    "name", "label", "type", "length", "precision", "scale", "digits", "nillable", "createable",
    "updateable", "defaultedOnCreate", "unique", "externalId", "idLookup", "picklistValues",
    "restrictedPicklist", "referenceTo", "relationshipName",
}  # fmt: skip


def describe(faces: Faces, name: str) -> dict[str, Any]:
    answer = faces.sf.http.get(f"sobjects/{name}/describe")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def fields_of(faces: Faces, name: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in describe(faces, name)["fields"]}


def test_sobjects_lists_the_helpdesk_objects(faces: Faces) -> None:
    body = faces.sf.http.get("sobjects").json()
    assert body["encoding"] == "UTF-8" and body["maxBatchSize"] == 200
    listed = {s["name"]: s for s in body["sobjects"]}
    assert list(listed) == OBJECTS
    for entry in listed.values():
        assert entry["createable"] and entry["updateable"] and entry["deletable"]
        assert entry["queryable"] and entry["label"]
    assert listed["Contact"]["keyPrefix"] == "003"


def test_describe_has_every_key_and_the_id_field(faces: Faces) -> None:
    body = describe(faces, "contact")  # API names match ignoring case
    assert body["name"] == "Contact"
    assert all(set(f) >= FIELD_KEYS for f in body["fields"])
    id_field = next(f for f in body["fields"] if f["name"] == "Id")
    assert id_field["type"] == "id" and id_field["idLookup"] is True
    assert id_field["createable"] is False and id_field["updateable"] is False
    assert id_field["nillable"] is False


def test_describe_of_an_unknown_object_is_404(faces: Faces) -> None:
    for name in ("Opportunity", "Contacts"):
        answer = faces.sf.http.get(f"sobjects/{name}/describe")
        assert answer.status_code == 404
        assert answer.json()[0]["errorCode"] == "NOT_FOUND"


def test_references_and_external_ids(faces: Faces) -> None:
    references = {
        ("Contact", "AccountId"): ("Account", "Account"),
        ("Case", "ContactId"): ("Contact", "Contact"),
        ("Case", "AccountId"): ("Account", "Account"),
        ("Account", "ParentId"): ("Account", "Parent"),
    }
    for (obj, name), (target, relationship) in references.items():
        field = fields_of(faces, obj)[name]
        assert field["type"] == "reference"
        assert field["referenceTo"] == [target]
        assert field["relationshipName"] == relationship
    for obj in ("Account", "Contact"):
        external = fields_of(faces, obj)["External_Id__c"]
        assert external["externalId"] and external["idLookup"] and external["unique"]
        assert external["type"] == "string" and external["length"] == 255
    plain = fields_of(faces, "Contact")["LastName"]
    assert plain["referenceTo"] == [] and plain["relationshipName"] is None
    assert not plain["externalId"] and plain["length"] == 80


def test_types_lengths_and_picklists(faces: Faces) -> None:
    contact = fields_of(faces, "Contact")
    assert contact["Email"]["type"] == "email" and contact["Email"]["idLookup"]
    assert contact["Birthdate"]["type"] == "date" and contact["Birthdate"]["length"] == 0
    assert contact["HasOptedOutOfEmail"]["type"] == "boolean"
    assert contact["HasOptedOutOfEmail"]["nillable"] is False
    assert contact["HasOptedOutOfEmail"]["defaultedOnCreate"] is True
    salutation = contact["Salutation"]
    assert salutation["restrictedPicklist"] is True
    assert [v["value"] for v in salutation["picklistValues"]] == [
        "Mr.", "Ms.", "Mrs.", "Dr.", "Prof.",
    ]  # fmt: skip
    lead_status = fields_of(faces, "Lead")["Status"]
    defaults = [v["value"] for v in lead_status["picklistValues"] if v["defaultValue"]]
    assert defaults == ["Open - Not Contacted"] and lead_status["defaultedOnCreate"]
    employees = fields_of(faces, "Account")["NumberOfEmployees"]
    assert employees["type"] == "int" and employees["digits"] == 8
    revenue = fields_of(faces, "Account")["AnnualRevenue"]
    assert revenue["type"] == "currency" and revenue["precision"] == 18
    deleted = contact["IsDeleted"]
    assert deleted["type"] == "boolean" and not deleted["createable"]


def required_by_describe(fields: dict[str, dict[str, Any]]) -> set[str]:
    return {
        name
        for name, f in fields.items()
        if not f["nillable"] and f["createable"] and not f["defaultedOnCreate"]
    }


@pytest.mark.parametrize("obj", OBJECTS)
def test_required_fields_agree_with_the_record_checks(faces: Faces, obj: str) -> None:
    required = required_by_describe(fields_of(faces, obj))
    # A row giving none of them: the check names exactly the fields describe calls required.
    job_id, info = faces.sf.ingest(obj, "insert", "Description\nonly a description\n")
    failed = faces.sf.results(job_id, "failedResults")
    if not required:
        assert info["numberRecordsFailed"] == 0
        return
    (row,) = failed
    match = re.fullmatch(
        r"REQUIRED_FIELD_MISSING:Required fields are missing: \[(.*)\]:.* --", row["sf__Error"]
    )
    assert match is not None, row
    assert set(match.group(1).split(", ")) == required
    # White space alone is no value (Salesforce trims text).
    header = ",".join(sorted(required))
    blank = ",".join([" \t\u00a0"] * len(required))
    job_id, info = faces.sf.ingest(obj, "insert", f"{header}\n{blank}\n")
    assert info["numberRecordsFailed"] == 1
    assert faces.sf.results(job_id, "failedResults")[0]["sf__Error"].startswith(
        "REQUIRED_FIELD_MISSING:"
    )
