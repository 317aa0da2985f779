"""Credentials: header parsing in any order, and secrets never shown."""

import pytest
from pydantic import SecretStr

from hubload.errors import ConfigError
from hubload.targets import TargetKind, config_from_env, configured_kinds
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.open_connectors.settings import OpenConnectorsSettings


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
    monkeypatch.setenv("HUBLOAD_HUB", "marketing")
    settings = OpenConnectorsSettings(_env_file=None)
    assert settings.configured and TargetKind.OPEN_CONNECTORS in configured_kinds()
    assert settings.credentials().authorization_header() == "User a, Element b"
    assert "User a" not in repr(settings)
    config = config_from_env(TargetKind.OPEN_CONNECTORS)
    assert config.identity.key == "open-connectors http://x/elements/api-v2 marketing"
    assert "User a" not in repr(config) and "User a" not in config.model_dump_json()


def test_settings_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTHORIZATION", "USER_SECRET", "ELEMENT_TOKEN"):
        monkeypatch.delenv(f"HUBLOAD_{name}", raising=False)
    with pytest.raises(ConfigError, match="no credentials"):
        OpenConnectorsSettings(_env_file=None).credentials()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("htp:/host/x", "scheme"),
        ("http:/x", "no host"),
        ("not a url at all", "scheme"),
        ("https://user:p4ssw0rd@host.example/elements/api-v2", "carries credentials"),
        ("https://:p4ssw0rd@host.example/api", "carries credentials"),
    ],
)
def test_malformed_or_credentialed_base_urls_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("HUBLOAD_BASE_URL", url)
    monkeypatch.setenv("HUBLOAD_AUTHORIZATION", "User a, Element b")
    with pytest.raises(ConfigError, match=says) as info:
        config_from_env(TargetKind.OPEN_CONNECTORS)
    assert "p4ssw0rd" not in str(info.value) and "\n" not in str(info.value)
