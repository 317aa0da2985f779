"""Salesforce's answers mapped to hubload's errors (httpx.MockTransport: error mapping only), and
the token's one renewal on a 401."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from hubload.errors import AuthError, ConfigError, FatalApiError, NotFoundError, RetriableError
from hubload.http import RetryPolicy
from hubload.targets.salesforce import SalesforceConfig, SalesforceTarget

INSTANCE = "https://acme.my.salesforce.com"
Handler = Callable[[httpx.Request], httpx.Response]


def target(handler: Handler, **config: object) -> SalesforceTarget:
    settings = {"client_id": "cid", "client_secret": SecretStr("csecret"), **config}
    return SalesforceTarget(
        SalesforceConfig.model_validate(settings),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, base_delay=0),
        sleep=lambda s: None,
    )


def token_answer(token: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": token,
            "instance_url": INSTANCE,
            "id": "https://login.salesforce.com/id/00D/005",
            "token_type": "Bearer",
        },
    )


def test_error_arrays_become_codes_and_messages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return token_answer("t1")
        if "Nope" in request.url.path:
            return httpx.Response(
                404,
                json=[
                    {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
                ],
            )
        return httpx.Response(
            400,
            json=[
                {"errorCode": "INVALIDJOB", "message": "bad"},
                {"errorCode": "X", "message": "y"},
            ],
        )

    with target(handler) as sf:
        with pytest.raises(NotFoundError) as missing:
            sf.describe("Nope")
        assert missing.value.code == "NOT_FOUND" and "does not exist" in str(missing.value)
        with pytest.raises(FatalApiError) as bad:
            sf.status("750x")
        assert bad.value.code == "INVALIDJOB" and "bad (+1 more)" in str(bad.value)


def test_a_401_renews_the_token_once_then_gives_up() -> None:
    issued: list[str] = []
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            issued.append(f"t{len(issued) + 1}")
            return token_answer(issued[-1])
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer t2":
            return httpx.Response(200, json={"sobjects": [{"name": "Contact"}]})
        return httpx.Response(
            401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
        )

    with target(handler) as sf:
        assert sf.list_objects() == ["Contact"]  # t1 refused, t2 obtained and used
    assert issued == ["t1", "t2"] and seen == ["Bearer t1", "Bearer t2"]

    def always_401(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return token_answer("t")
        return httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "no"}])

    with target(always_401) as sf, pytest.raises(AuthError) as info:
        sf.list_objects()
    assert info.value.code == "INVALID_SESSION_ID"


def test_a_ready_token_that_expires_cannot_be_renewed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "expired"}])

    sf = SalesforceTarget(
        SalesforceConfig(instance_url=INSTANCE, access_token=SecretStr("ready-token-123")),
        transport=httpx.MockTransport(handler),
    )
    with sf, pytest.raises(AuthError, match="cannot be renewed") as info:
        sf.list_objects()
    assert "ready-token-123" not in str(info.value)


def test_a_refused_login_is_an_auth_error_without_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "csecret" in request.content.decode()  # sent in the form body, nowhere else
        return httpx.Response(
            400,
            json={"error": "invalid_grant", "error_description": "expired access/refresh token"},
        )

    with target(handler, refresh_token=SecretStr("rt-1")) as sf, pytest.raises(AuthError) as info:
        sf.list_objects()
    text = str(info.value)
    assert "invalid_grant" in text and "refresh-token" in text
    assert "csecret" not in text and "rt-1" not in text


def test_an_unknown_shape_is_reported_as_what_it_is() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return token_answer("t")
        if request.url.path.endswith("/describe"):
            return httpx.Response(200, text="<html>maintenance</html>")
        return httpx.Response(503, text="<html>Service Unavailable</html>")

    with target(handler) as sf:
        with pytest.raises(FatalApiError, match=r"expected JSON.*maintenance"):
            sf.describe("Contact")
        with pytest.raises(RetriableError, match="Service Unavailable"):
            sf.list_objects()


def test_settings_choose_the_grant_and_refuse_what_cannot_work() -> None:
    assert SalesforceConfig(client_id="c", client_secret=SecretStr("s")).grant.value == (
        "client-credentials"
    )
    with pytest.raises(ConfigError, match="needs the instance URL"):
        SalesforceConfig(access_token=SecretStr("t"))
    with pytest.raises(ConfigError, match="no Salesforce credentials"):
        SalesforceConfig()
    with pytest.raises(ConfigError, match="carries credentials"):
        SalesforceConfig(
            instance_url="https://u:pw@acme.my.salesforce.com", access_token=SecretStr("t")
        )
    with pytest.raises(ConfigError, match=r"not like 62\.0"):
        SalesforceConfig(client_id="c", client_secret=SecretStr("s"), api_version="latest")


def test_the_token_never_shows() -> None:
    config = SalesforceConfig(instance_url=INSTANCE, access_token=SecretStr("sekrit-token"))
    assert "sekrit" not in repr(config) and "sekrit" not in json.dumps(
        config.model_dump(mode="json")
    )
