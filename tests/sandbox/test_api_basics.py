"""Discovery, auth and the error envelope of every kind of bad request."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.conftest import Api


def assert_envelope(answer: httpx.Response, status: int) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert isinstance(body["message"], str) and body["message"]
    assert body["requestId"] == answer.headers["Elements-Request-Id"]
    assert "Traceback" not in answer.text
    return dict(body)


def test_objects_list_like_the_seed_page(api: Api) -> None:
    answer = api.http.get("/hubs/marketing/objects")
    assert answer.json() == ["activities", "contact", "campaign", "list", "account"]
    assert api.http.get("/hubs/helpdesk/objects").json() == ["Contact", "Account", "Lead", "Case"]


def test_contact_metadata_has_salesforce_facts(api: Api) -> None:
    fields = {
        f["vendorPath"]: f
        for f in api.http.get("/hubs/helpdesk/objects/Contact/metadata").json()["fields"]
    }
    assert fields["LastName"]["vendorRequired"] is True and fields["LastName"]["length"] == 80
    assert fields["Email"]["vendorNativeType"] == "email" and fields["Email"]["length"] == 80
    assert fields["Title"]["length"] == 128
    assert fields["Birthdate"]["type"] == "date" and fields["Birthdate"]["length"] is None
    assert fields["Id"]["vendorReadOnly"] is True and fields["Id"]["createable"] is False
    assert fields["Name"]["vendorReadOnly"] is True
    salutation = fields["Salutation"]
    assert salutation["restrictedPicklist"] is True
    assert [v["value"] for v in salutation["picklistValues"]] == [
        "Mr.",
        "Ms.",
        "Mrs.",
        "Dr.",
        "Prof.",
    ]
    assert (
        fields["External_Id__c"]["externalId"] is True
        and fields["External_Id__c"]["unique"] is True
    )
    assert fields["Description"]["filterable"] is False
    assert "Company" not in fields and "Website" not in fields
    expected_keys = {
        "vendorPath", "vendorDisplayName", "vendorNativeType", "type", "vendorRequired",
        "vendorReadOnly", "createable", "updateable", "filterable", "length",
        "restrictedPicklist", "externalId", "unique",
    }  # fmt: skip
    assert all(expected_keys <= set(f) for f in fields.values())


def test_lead_and_marketing_metadata(api: Api) -> None:
    lead = {
        f["vendorPath"]: f
        for f in api.http.get("/hubs/helpdesk/objects/Lead/metadata").json()["fields"]
    }
    assert lead["Company"]["vendorRequired"] and lead["LastName"]["vendorRequired"]
    assert lead["Status"]["vendorRequired"] is False
    contact = api.http.get("/hubs/marketing/objects/contact/metadata").json()["fields"]
    names = [f["vendorPath"] for f in contact]
    assert names[:3] == ["id", "C_EmailAddress", "C_FirstName"]
    email = contact[1]
    assert (email["vendorRequired"], email["length"], email["vendorNativeType"]) == (
        True,
        400,
        "email",
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "User sandbox-user-secret, Element wrong",
        "User wrong, Organization sandbox-org-secret, Element sandbox-element-token",
        "User sandbox-user-secret, Organization wrong, Element sandbox-element-token",
        "Element sandbox-element-token",
        "Bearer sandbox-element-token",
    ],
)
def test_bad_auth_is_401_envelope(api: Api, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = httpx.get(api.sandbox.base_url + "/hubs/helpdesk/objects", headers=headers)
    body = assert_envelope(answer, 401)
    assert "invalid" in body["message"].lower()


@pytest.mark.parametrize(
    "authorization",
    [
        "Element sandbox-element-token, User sandbox-user-secret",
        "Organization sandbox-org-secret,User sandbox-user-secret,Element sandbox-element-token",
    ],
)
def test_auth_parts_in_any_order_organization_optional(api: Api, authorization: str) -> None:
    answer = httpx.get(
        api.sandbox.base_url + "/hubs/helpdesk/objects", headers={"Authorization": authorization}
    )
    assert answer.status_code == 200


def test_authorization_property_is_the_exact_header(api: Api) -> None:
    assert api.sandbox.authorization == (
        "User sandbox-user-secret, Organization sandbox-org-secret, Element sandbox-element-token"
    )
    assert api.sandbox.base_url.endswith("/elements/api-v2")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/hubs/crm/objects", 404),
        ("GET", "/hubs/helpdesk/objects/Opportunity/metadata", 404),
        ("GET", "/hubs/helpdesk/bulk/999999/status", 404),
        ("GET", "/hubs/helpdesk/bulk/abc/status", 404),
        ("GET", "/hubs/helpdesk/bulk/999999/errors", 404),
        ("PUT", "/hubs/helpdesk/bulk/999999/cancel", 404),
        ("DELETE", "/hubs/helpdesk/objects", 405),
        ("POST", "/hubs/helpdesk/bulk/1/status", 405),
        ("GET", "/hubs/helpdesk/bulk/1/cancel", 404),
    ],
)
def test_bad_requests_get_the_envelope(api: Api, method: str, path: str, status: int) -> None:
    assert_envelope(api.http.request(method, path), status)


def test_405_names_allowed_methods(api: Api) -> None:
    answer = api.http.delete("/hubs/helpdesk/objects")
    assert_envelope(answer, 405)
    assert "GET" in answer.headers["allow"]


def test_jobs_of_another_hub_are_404(api: Api) -> None:
    job_id, _ = api.run("marketing", "contact", "C_EmailAddress\na@b.com\n")
    assert api.http.get(f"/hubs/marketing/bulk/{job_id}/status").status_code == 200
    assert_envelope(api.http.get(f"/hubs/helpdesk/bulk/{job_id}/status"), 404)
    assert_envelope(api.http.get(f"/hubs/helpdesk/bulk/{job_id}/errors"), 404)
    assert_envelope(api.http.put(f"/hubs/helpdesk/bulk/{job_id}/cancel"), 404)


def test_ping_needs_no_auth(api: Api) -> None:
    assert httpx.get(api.sandbox.base_url + "/ping").json() == {"status": "ok"}
