"""Small pieces on their own: ids, signatures, auth parsing, CEQL, settings, the catalogue."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sandbox import SandboxConfig
from sandbox.auth import parse_authorization
from sandbox.callbacks import sign
from sandbox.catalogue import resolve_object
from sandbox.ceql import parse_query
from sandbox.exceptions import QueryError
from sandbox.ids import checksum_suffix, looks_like_id, salesforce_ids


def test_signature_test_vector() -> None:
    assert (
        sign("MySecretEventSignatureKey", b"<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>")
        == "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ="
    )


def test_case_safe_id_suffix() -> None:
    assert checksum_suffix("001A0000006Vm9r") == "IAC"
    assert checksum_suffix("003000000000001") == "AAA"


def test_generated_ids_are_sequential_case_safe_and_unique() -> None:
    ids = salesforce_ids("003", 1, 200)
    assert ids[0] == "0035g0000000001AAA"
    assert len(set(ids)) == 200 and ids == sorted(ids)
    assert all(len(i) == 18 and i[15:] == checksum_suffix(i[:15]) for i in ids)
    assert salesforce_ids("003", 61, 3) == ids[60:63]
    assert looks_like_id(ids[0], "003") and not looks_like_id(ids[0], "001")
    assert looks_like_id(ids[0][:15], "003") and not looks_like_id("003abc", "003")


def test_authorization_parsing() -> None:
    assert parse_authorization(" Element e ,User u") == {"element": "e", "user": "u"}
    with pytest.raises(ValueError, match="unexpected"):
        parse_authorization("User u, User v")
    with pytest.raises(ValueError, match="unexpected"):
        parse_authorization("Basic abc")


def test_ceql_parse_and_sql() -> None:
    query = parse_query(
        "helpdesk", "SELECT LastName, Email FROM contacts WHERE Email LIKE '%@x.com' LIMIT 5;"
    )
    assert query.spec.name == "Contact"
    assert [f.name for f in query.columns()] == ["Id", "LastName", "Email"]
    sql, params = query.sql()
    assert sql.endswith('WHERE "Email" LIKE ? ORDER BY "_seq" LIMIT ?')
    assert params == ["%@x.com", 5]
    query = parse_query("marketing", "select * from contact where C_Zip_Postal = 12345")
    assert query.conditions[0].values == ("12345",)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("select * from", "name"),
        ("select * from Contact where", "name"),
        ("select * from Contact where LastName in ()", "quoted value"),
        ("select * from Contact where LastName is 'x'", "NULL"),
        ("select * from Contact extra", "after the end"),
        ("select * from Contact where LastName = 'a' @", "Unexpected"),
    ],
)
def test_ceql_errors(text: str, needle: str) -> None:
    with pytest.raises(QueryError, match=needle):
        parse_query("helpdesk", text)


def test_object_resolution() -> None:
    contact = resolve_object("helpdesk", "contacts")
    assert contact is not None and contact.name == "Contact"
    assert resolve_object("marketing", "ACTIVITIES") is not None
    assert resolve_object("helpdesk", "Opportunity") is None
    assert resolve_object("nohub", "Contact") is None


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBLOAD_SANDBOX_ERROR_RATE", "0.25")
    monkeypatch.setenv("HUBLOAD_SANDBOX_STATUS_STYLE", "v3")
    config = SandboxConfig()
    assert (config.error_rate, config.status_style) == (0.25, "v3")
    assert config.max_upload_bytes == 150 * 1024 * 1024 and config.signature_key is None
    assert config.authorization() == (
        "User sandbox-user-secret, Organization sandbox-org-secret, Element sandbox-element-token"
    )
    with pytest.raises(ValidationError):
        SandboxConfig(error_rate=1.5)
    with pytest.raises(ValidationError):
        SandboxConfig(complete_spelling="DONE")
