"""Credentials: header parsing in any order, and secrets never shown."""

import pytest
from pydantic import SecretStr

from hubload.credentials import Credentials
from hubload.errors import ConfigError
from hubload.settings import Settings


def test_header_round_trip_any_order() -> None:
    creds = Credentials.from_header("Element tok-3, User usr-1, Organization org-2")
    assert creds.authorization_header() == "User usr-1, Organization org-2, Element tok-3"
    no_org = Credentials.from_header("User u, Element e")
    assert no_org.organization_secret is None
    assert no_org.authorization_header() == "User u, Element e"


@pytest.mark.parametrize(
    "header",
    [
        "User u",
        "Element e",
        "User u, Element e, Bogus b",
        "User u, User v, Element e",
        "User , Element e",
    ],
)
def test_bad_headers_fail_without_echoing_values(header: str) -> None:
    with pytest.raises(ConfigError) as info:
        Credentials.from_header(header)
    assert " u," not in str(info.value) and "v," not in str(info.value)


def test_secrets_are_masked_everywhere() -> None:
    creds = Credentials(
        user_secret=SecretStr("top-user"),
        organization_secret=SecretStr("top-org"),
        element_token=SecretStr("top-elem"),
    )
    for text in (repr(creds), str(creds), creds.model_dump_json()):
        assert "top-" not in text


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("HUBLOAD_BASE_URL", "http://x/elements/api-v2")
    monkeypatch.setenv("HUBLOAD_AUTHORIZATION", "User a, Element b")
    settings = Settings(_env_file=None)
    assert settings.target_configured
    assert settings.credentials().authorization_header() == "User a, Element b"
    assert "User a" not in repr(settings)


def test_settings_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTHORIZATION", "USER_SECRET", "ELEMENT_TOKEN"):
        monkeypatch.delenv(f"HUBLOAD_{name}", raising=False)
    with pytest.raises(ConfigError, match="no credentials"):
        Settings(_env_file=None).credentials()
