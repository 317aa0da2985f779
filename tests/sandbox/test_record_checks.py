"""Per-record checks: each Salesforce error code, their order, nulls and unique values."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Api, Starter


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (
            "LastName,FirstName",
            "Smith,John,extra",
            "MALFORMED_ROW:Row has 3 fields but the header has 2:--",
        ),
        (
            "Id,LastName",
            "0035g0000000001AAA,Smith",
            "INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: Id. Please check the "
            "security settings of this field and verify that it is read/write for your profile or "
            "permission set.:Id --",
        ),
        (
            "FirstName,Email",
            "John,john@acme.com",
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        ),
        (
            "LastName,Email",
            ",john@acme.com",
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        ),
        (
            "LastName,Email",
            "Doe,notanemail",
            "INVALID_EMAIL_ADDRESS:Email: invalid email address: notanemail:Email --",
        ),
        (
            "LastName,Title",
            "Doe," + "T" * 129,
            f"STRING_TOO_LONG:Title: data value too large: {'T' * 129} (max length=128):Title --",
        ),
        (
            "LastName,Salutation",
            "Doe,Sir",
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Salutation: bad value for restricted "
            "picklist field: Sir:Salutation --",
        ),
        (
            "LastName,Birthdate",
            "Doe,13/45/2020",
            "INVALID_TYPE_ON_FIELD_IN_RECORD:Birthdate: value not of required type: "
            "13/45/2020:Birthdate --",
        ),
        (
            "LastName,Birthdate",
            "Doe,2021-02-30",
            "INVALID_TYPE_ON_FIELD_IN_RECORD:Birthdate: value not of required type: "
            "2021-02-30:Birthdate --",
        ),
        (
            "LastName,HasOptedOutOfEmail",
            "Doe,maybe",
            "INVALID_TYPE_ON_FIELD_IN_RECORD:Email Opt Out: value not of required type: "
            "maybe:HasOptedOutOfEmail --",
        ),
        (
            "LastName,AccountId",
            "Doe,0035g0000000001AAA",
            "MALFORMED_ID:Account ID: id value of incorrect type: 0035g0000000001AAA:AccountId --",
        ),
        (
            "LastName,MailingPostalCode",
            "Doe,123456789012345678901",
            "STRING_TOO_LONG:Mailing Postal Code: data value too large: 123456789012345678901 "
            "(max length=20):MailingPostalCode --",
        ),
    ],
)
def test_each_record_check(api: Api, header: str, row: str, expected: str) -> None:
    job_id, status = api.run("helpdesk", "Contact", f"{header}\n{row}\n")
    assert (status["recordsCount"], status["recordsFailedCount"]) == (1, 1)
    [element] = api.errors("helpdesk", job_id).json()
    assert element["recordNumber"] == 1
    assert element["error"] == expected
    assert element["record"] == dict(zip(header.split(","), row.split(","), strict=False))


@pytest.mark.parametrize(
    ("header", "row", "code"),
    [
        ("LastName,Company,NumberOfEmployees", "Doe,Acme,12x", "INVALID_TYPE_ON_FIELD_IN_RECORD"),
        ("LastName,Company,NumberOfEmployees", "Doe,Acme,123456789", "NUMBER_OUTSIDE_VALID_RANGE"),
        ("LastName,Company,AnnualRevenue", "Doe,Acme,1;000", "INVALID_TYPE_ON_FIELD_IN_RECORD"),
        ("LastName,Company,Status", "Doe,Acme,Hot", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ("LastName,Company", "Doe,", "REQUIRED_FIELD_MISSING"),
        ("LastName,Company,Website", "Doe,Acme," + "w" * 256, "STRING_TOO_LONG"),
    ],
)
def test_lead_checks(api: Api, header: str, row: str, code: str) -> None:
    job_id, status = api.run("helpdesk", "Lead", f"{header}\n{row}\n")
    assert status["recordsFailedCount"] == 1
    assert api.errors("helpdesk", job_id).json()[0]["error"].startswith(code + ":")


def test_valid_typed_values_are_accepted(api: Api) -> None:
    content = (
        "LastName,Company,NumberOfEmployees,AnnualRevenue,Website,Phone,LeadSource\n"
        "Doe,Acme,12,1000.50,not a url at all,not a phone,Something New\n"
        "Roe,Acme,-3,1e3,,,\n"
    )
    _, status = api.run("helpdesk", "Lead", content)
    assert status["recordsFailedCount"] == 0
    content = "LastName,Birthdate,HasOptedOutOfEmail\nA,2020-02-29,TRUE\nB,,0\nC,1999-12-31,\n"
    _, status = api.run("helpdesk", "Contact", content)
    assert status["recordsFailedCount"] == 0
    opted = {
        r["LastName"]: r["HasOptedOutOfEmail"]
        for r in api.sandbox.store.records("helpdesk", "Contact")
    }
    assert (opted["A"], opted["B"], opted["C"]) == ("true", "false", None)


def test_first_failing_check_wins(api: Api) -> None:
    # Read-only beats required beats email beats length beats picklist beats type.
    content = (
        "Id,LastName,Email,Title,Salutation,Birthdate\n"
        "0035g0000000001AAA,,bad,,Sir,x\n"
        ",,bad,,Sir,x\n"
        ",Doe,bad," + "T" * 200 + ",Sir,x\n"
        ",Doe,," + "T" * 200 + ",Sir,x\n"
        ",Doe,,,Sir,x\n"
        ",Doe,,,,x\n"
    )
    job_id, _ = api.run("helpdesk", "Contact", content)
    codes = {n: e.split(":")[0] for n, e in api.error_codes("helpdesk", job_id).items()}
    assert codes == {
        1: "INVALID_FIELD_FOR_INSERT_UPDATE",
        2: "REQUIRED_FIELD_MISSING",
        3: "INVALID_EMAIL_ADDRESS",
        4: "STRING_TOO_LONG",
        5: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        6: "INVALID_TYPE_ON_FIELD_IN_RECORD",
    }


def test_na_means_null_on_insert(api: Api) -> None:
    _, status = api.run("helpdesk", "Account", "Name,Phone\nNA Corp,#N/A\n")
    assert status["recordsFailedCount"] == 0
    [account] = [
        a for a in api.sandbox.store.records("helpdesk", "Account") if a["Name"] == "NA Corp"
    ]
    assert account["Phone"] is None
    _, status = api.run("helpdesk", "Account", "Name\n#N/A\n")
    assert status["recordsFailedCount"] == 1


def test_unique_external_id_in_file_and_stored(start: Starter) -> None:
    api = start()
    api.run("helpdesk", "Contact", "LastName,External_Id__c\nA,X1\n")
    job_id, status = api.run("helpdesk", "Contact", "LastName,External_Id__c\nB,x1\nC,X2\nD,X2\n")
    assert status["recordsFailedCount"] == 2
    first = api.sandbox.store.records("helpdesk", "Contact")[0]["Id"]
    errors = api.error_codes("helpdesk", job_id)
    assert errors[1] == (
        "DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record "
        f"with id: {first}:--"
    )
    second = api.sandbox.store.records("helpdesk", "Contact")[1]
    assert second["LastName"] == "C"
    assert errors[3].endswith(f"on record with id: {second['Id']}:--")
