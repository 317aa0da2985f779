"""Salesforce's operations on the one record store: insert, upsert, update, delete, hardDelete
and parents by external id, each checked through the other face."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.ids import salesforce_ids
from tests.sandbox.conftest import Faces, Sf, Starter, sf_client


def tag() -> str:
    return uuid.uuid4().hex[:10]


def oc_contacts(faces: Faces, where: str) -> dict[str, dict[str, Any]]:
    """Contacts found by an Open Connectors query, by External_Id__c."""
    rows = faces.oc.rows("helpdesk", f"select * from Contact where {where}")
    return {row["External_Id__c"]: row for row in rows}


def test_a_contact_of_either_face_is_found_by_the_other(faces: Faces) -> None:
    t = tag()
    _, status = faces.oc.run("helpdesk", "Contact", f"LastName,External_Id__c\nViaOc,oc-{t}\n")
    assert status["recordsFailedCount"] == 0
    _, info = faces.sf.ingest("Contact", "insert", f"LastName,External_Id__c\nViaSf,sf-{t}\n")
    assert info["numberRecordsFailed"] == 0
    soql = f"SELECT External_Id__c, LastName FROM Contact WHERE External_Id__c IN ('oc-{t}')"
    assert faces.sf.rows(soql) == [{"External_Id__c": f"oc-{t}", "LastName": "ViaOc"}]
    found = oc_contacts(faces, f"External_Id__c = 'sf-{t}'")
    assert found[f"sf-{t}"]["LastName"] == "ViaSf"


def test_insert_upsert_update_delete_hard_delete(faces: Faces) -> None:
    sf, t = faces.sf, tag()
    a, b, c = (f"{t}-{n}" for n in "abc")
    where = f"External_Id__c like '{t}-%'"

    # insert: the same checks as the other face (Salutation is a restricted picklist)
    content = (
        "LastName,FirstName,Title,Salutation,External_Id__c\n"
        f"Alpha,Ann,Lead,Ms.,{a}\nBeta,Bob,Dev,Mr.,{b}\nGamma,Gil,Ops,Sir,{c}\n"
    )
    job_id, info = sf.ingest("Contact", "insert", content)
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
    (failed,) = sf.results(job_id, "failedResults")
    assert failed["sf__Error"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Salutation: bad value for restricted picklist "
        "field: Sir:Salutation --"
    )
    ids = {r["External_Id__c"]: r["sf__Id"] for r in sf.results(job_id, "successfulResults")}
    assert set(ids) == {a, b}
    stored = oc_contacts(faces, where)
    assert {k: v["Id"] for k, v in stored.items()} == ids

    # upsert on the external id: an update (empty keeps, #N/A nulls) and an insert
    job_id, info = sf.ingest(
        "Contact",
        "upsert",
        f"External_Id__c,LastName,Title,FirstName\n{a},,,#N/A\n{c},Gamma,Manager,Gil\n",
        externalIdFieldName="External_Id__c",
    )
    assert info["numberRecordsFailed"] == 0 and info["externalIdFieldName"] == "External_Id__c"
    created = {
        r["External_Id__c"]: r["sf__Created"] for r in sf.results(job_id, "successfulResults")
    }
    assert created == {a: "false", c: "true"}
    stored = oc_contacts(faces, where)
    assert stored[a]["Title"] == "Lead" and stored[a]["FirstName"] is None
    assert stored[a]["LastName"] == "Alpha"
    assert stored[c]["Title"] == "Manager"
    ids[c] = stored[c]["Id"]

    # update by Id: an unknown id fails the row, #N/A nulls, an empty cell leaves the value
    unknown = salesforce_ids("003", 99_999_999, 1)[0]
    job_id, info = sf.ingest(
        "Contact", "update", f"Id,Title,Salutation\n{ids[a]},,#N/A\n{ids[b]},CTO,\n{unknown},X,\n"
    )
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
    (failed,) = sf.results(job_id, "failedResults")
    assert failed["sf__Error"] == "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:Id --"
    assert failed["sf__Id"] == unknown == failed["Id"]
    successes = sf.results(job_id, "successfulResults")
    assert {r["sf__Id"]: r["sf__Created"] for r in successes} == {ids[a]: "false", ids[b]: "false"}
    stored = oc_contacts(faces, where)
    assert stored[a]["Title"] == "Lead" and stored[a]["Salutation"] is None
    assert stored[b]["Title"] == "CTO" and stored[b]["Salutation"] == "Mr."

    # delete: gone from queries, still seen by queryAll with IsDeleted true
    job_id, info = sf.ingest("Contact", "delete", f"Id\n{ids[a]}\n{ids[a][:15]}x\n")
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 1)
    assert set(oc_contacts(faces, where)) == {b, c}
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE External_Id__c LIKE '{t}-%'"
    assert {r["Id"]: r["IsDeleted"] for r in sf.rows(soql)} == {ids[b]: "false", ids[c]: "false"}
    every = {r["Id"]: r["IsDeleted"] for r in sf.rows(soql, "queryAll")}
    assert every == {ids[a]: "true", ids[b]: "false", ids[c]: "false"}
    # a deleted record is no longer updated or deleted
    job_id, _ = sf.ingest("Contact", "update", f"Id,Title\n{ids[a]},Back\n")
    assert (
        sf.results(job_id, "failedResults")[0]["sf__Error"]
        == "ENTITY_IS_DELETED:entity is deleted:--"
    )

    # hardDelete: gone for good, from the recycle bin too
    job_id, info = sf.ingest("Contact", "hardDelete", f"Id\n{ids[a]}\n{ids[c]}\n")
    assert info["numberRecordsFailed"] == 0
    assert {r["Id"] for r in sf.rows(soql, "queryAll")} == {ids[b]}
    assert set(oc_contacts(faces, where)) == {b}


def test_delete_takes_exactly_an_id_column(faces: Faces) -> None:
    for operation in ("delete", "hardDelete"):
        _, info = faces.sf.ingest("Contact", operation, "Id,LastName\n0035g0000000001AAA,X\n")
        assert info["state"] == "Failed" and info["errorMessage"].startswith("InvalidBatch : ")


def test_update_needs_the_id_column(faces: Faces) -> None:
    _, info = faces.sf.ingest("Contact", "update", "LastName\nX\n")
    assert info["state"] == "Failed" and "Id" in info["errorMessage"]


def test_parents_by_external_id(faces: Faces) -> None:
    sf, t = faces.sf, tag()
    job_id, info = sf.ingest(
        "Account", "insert", f"Name,External_Id__c\nAcme {t},acct-{t}\nInitech {t},child-{t}\n"
    )
    assert info["numberRecordsFailed"] == 0
    accounts = {r["External_Id__c"]: r["sf__Id"] for r in sf.results(job_id, "successfulResults")}
    # Account.ParentId by the parent's external id (relationship "Parent")
    _, info = sf.ingest(
        "Account",
        "upsert",
        f"External_Id__c,Parent.External_Id__c\nchild-{t},acct-{t}\n",
        externalIdFieldName="External_Id__c",
    )
    assert info["numberRecordsFailed"] == 0
    soql = f"SELECT ParentId FROM Account WHERE External_Id__c = 'child-{t}'"
    assert sf.rows(soql) == [{"ParentId": accounts[f"acct-{t}"]}]

    content = (
        "LastName,Account.External_Id__c,External_Id__c\n"
        f"Known,ACCT-{t},c1-{t}\nUnknown,nope-{t},c2-{t}\nNone,,c3-{t}\n"
    )
    job_id, info = sf.ingest("Contact", "insert", content)
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
    (failed,) = sf.results(job_id, "failedResults")
    assert failed["sf__Error"] == (
        f"INVALID_FIELD:Foreign key external ID: nope-{t} not found for field External_Id__c "
        "in entity Account:--"
    )
    assert failed["Account.External_Id__c"] == f"nope-{t}"  # as uploaded
    successes = sf.results(job_id, "successfulResults")
    assert {r["LastName"]: r["Account.External_Id__c"] for r in successes} == {
        "Known": f"ACCT-{t}",
        "None": "",
    }
    stored = oc_contacts(faces, f"External_Id__c like 'c_-{t}'")
    assert stored[f"c1-{t}"]["AccountId"] == accounts[f"acct-{t}"]  # matched ignoring case
    assert stored[f"c3-{t}"]["AccountId"] is None

    # Case -> Contact and Account by external id, through the Open Connectors face too
    _, status = faces.oc.run(
        "helpdesk",
        "Case",
        f"Subject,Contact.External_Id__c,Account.External_Id__c\nHelp {t},c1-{t},acct-{t}\n",
    )
    assert status["recordsFailedCount"] == 0
    (case,) = faces.oc.rows(
        "helpdesk", f"select ContactId, AccountId from Case where Subject = 'Help {t}'"
    )
    assert (
        case["ContactId"] == stored[f"c1-{t}"]["Id"] and case["AccountId"] == accounts[f"acct-{t}"]
    )


def test_a_relationship_column_must_name_an_external_id(faces: Faces) -> None:
    for header in ("Account.Name", "Owner.External_Id__c", "Account.Nope"):
        _, info = faces.sf.ingest("Contact", "insert", f"LastName,{header}\nX,y\n")
        assert info["state"] == "Failed"
        assert info["errorMessage"] == f"InvalidBatch : Field name not found : {header}"
    _, info = faces.sf.ingest(
        "Contact", "insert", "LastName,AccountId,Account.External_Id__c\nX,,\n"
    )
    assert info["state"] == "Failed" and "Duplicate" in info["errorMessage"]


def test_ids_are_never_given_twice_after_a_hard_delete(start: Starter) -> None:
    api = start()
    with sf_client(api.sandbox) as client:
        sf = Sf(api.sandbox, client)
        job_id, _ = sf.ingest("Case", "insert", "Subject\nfirst\nsecond\n")
        ids = sorted(r["sf__Id"] for r in sf.results(job_id, "successfulResults"))
        _, info = sf.ingest("Case", "hardDelete", f"Id\n{ids[1]}\n")
        assert info["numberRecordsFailed"] == 0
        job_id, _ = sf.ingest("Case", "insert", "Subject\nthird\n")
        (third,) = sf.results(job_id, "successfulResults")
        assert third["sf__Id"] not in ids
        _, status = api.run("helpdesk", "Case", "Subject\nfourth\n")
        assert status["recordsFailedCount"] == 0
        rows = sf.rows("SELECT Id, Subject FROM Case")
        assert len({r["Id"] for r in rows}) == len(rows) == 3


def test_white_space_is_no_value_for_a_required_field_on_update(faces: Faces) -> None:
    t = tag()
    job_id, _ = faces.sf.ingest("Contact", "insert", f"LastName,External_Id__c\nKeep,{t}\n")
    (row,) = faces.sf.results(job_id, "successfulResults")
    job_id, info = faces.sf.ingest("Contact", "update", f"Id,LastName\n{row['sf__Id']},\u00a0 \n")
    assert info["numberRecordsFailed"] == 1
    assert faces.sf.results(job_id, "failedResults")[0]["sf__Error"].startswith(
        "REQUIRED_FIELD_MISSING:"
    )
    _, info = faces.sf.ingest("Contact", "update", f"Id,LastName\n{row['sf__Id']},\n")
    assert info["numberRecordsFailed"] == 0  # empty: left as it was
    assert oc_contacts(faces, f"External_Id__c = '{t}'")[t]["LastName"] == "Keep"
