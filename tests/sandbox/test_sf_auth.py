"""The Salesforce face's login: OAuth grants, JWT bearer, expiry, revocation, the 401s."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from sandbox import RunningSandbox
from tests.sandbox.conftest import Faces, Starter, sf_client

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def token_of(sandbox: RunningSandbox, **form: str) -> httpx.Response:
    return httpx.post(f"{sandbox.salesforce_instance_url}/services/oauth2/token", data=form)


def client_credentials(sandbox: RunningSandbox, secret: str | None = None) -> httpx.Response:
    return token_of(
        sandbox,
        grant_type="client_credentials",
        client_id=sandbox.oauth_client_id,
        client_secret=secret or sandbox.oauth_client_secret,
    )


def assert_oauth_error(answer: httpx.Response, error: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == error and body["error_description"], body


def assert_session_invalid(answer: httpx.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json() == [
        {"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}
    ]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(key: rsa.RSAPrivateKey, claims: dict[str, Any], alg: str = "RS256") -> str:
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(signature)}"


def test_client_credentials_token_is_accepted_by_the_api(faces: Faces) -> None:
    sandbox = faces.sf.sandbox
    answer = client_credentials(sandbox)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {
        "access_token", "instance_url", "id", "token_type", "issued_at", "signature",
    }  # fmt: skip
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == sandbox.salesforce_instance_url
    assert body["id"].startswith(f"{sandbox.salesforce_instance_url}/id/00D")
    secret = sandbox.oauth_client_secret.encode()
    signed = hmac.new(secret, (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    assert body["signature"] == base64.b64encode(signed).decode()
    assert body["access_token"] != sandbox.salesforce_token
    with sf_client(sandbox, body["access_token"]) as client:
        assert client.get("sobjects").status_code == 200


def test_wrong_client_or_grant_is_refused(faces: Faces) -> None:
    sandbox = faces.sf.sandbox
    assert_oauth_error(client_credentials(sandbox, "wrong"), "invalid_client")
    wrong_id = token_of(sandbox, grant_type="client_credentials", client_id="x", client_secret="y")
    assert_oauth_error(wrong_id, "invalid_client")
    assert_oauth_error(token_of(sandbox, grant_type="password"), "unsupported_grant_type")
    assert_oauth_error(token_of(sandbox), "unsupported_grant_type")
    as_json = httpx.post(
        f"{sandbox.salesforce_instance_url}/services/oauth2/token",
        json={"grant_type": "client_credentials"},
    )
    assert_oauth_error(as_json, "unsupported_grant_type")


def test_refresh_token_grant(faces: Faces) -> None:
    sandbox = faces.sf.sandbox
    form = {
        "grant_type": "refresh_token",
        "client_id": sandbox.oauth_client_id,
        "refresh_token": sandbox.refresh_token,
    }
    with_secret = token_of(sandbox, **form, client_secret=sandbox.oauth_client_secret)
    assert with_secret.status_code == 200, with_secret.text
    assert token_of(sandbox, **form).status_code == 200  # the secret is optional
    assert_oauth_error(token_of(sandbox, **form, client_secret="wrong"), "invalid_client")
    assert_oauth_error(token_of(sandbox, **{**form, "refresh_token": "old"}), "invalid_grant")
    with sf_client(sandbox, with_secret.json()["access_token"]) as client:
        assert client.get("sobjects/Contact/describe").status_code == 200


def test_missing_unknown_and_malformed_tokens_are_401(faces: Faces) -> None:
    sandbox = faces.sf.sandbox
    url = f"{sandbox.salesforce_instance_url}/services/data/v62.0/jobs/ingest"
    assert_session_invalid(httpx.get(url))
    for header in ("Bearer nope", "Basic abc", "Bearer 00D5g0000000001!forged.sig", "Bearer"):
        assert_session_invalid(httpx.get(url, headers={"Authorization": header}))
    token = client_credentials(sandbox).json()["access_token"]
    org, _, rest = token.partition("!")
    body, _, signature = rest.rpartition(".")
    forged = f"{org}!{body}.{signature[:-2]}xx"
    assert_session_invalid(httpx.get(url, headers={"Authorization": f"Bearer {forged}"}))
    older = {"Authorization": f"OAuth {sandbox.salesforce_token}"}  # Salesforce's old scheme
    assert httpx.get(url, headers=older).status_code == 200


def test_tokens_expire_and_a_refresh_gets_a_new_one(start: Starter) -> None:
    sandbox = start(token_ttl_seconds=1.0).sandbox
    token = client_credentials(sandbox).json()["access_token"]
    with sf_client(sandbox, token) as client:
        assert client.get("sobjects").status_code == 200
        time.sleep(1.1)  # past the token's life
        assert_session_invalid(client.get("sobjects"))
    renewed = token_of(
        sandbox,
        grant_type="refresh_token",
        client_id=sandbox.oauth_client_id,
        refresh_token=sandbox.refresh_token,
    ).json()["access_token"]
    with sf_client(sandbox, renewed) as client:
        assert client.get("sobjects").status_code == 200
    with sf_client(sandbox) as client:  # the static token never expires
        assert client.get("sobjects").status_code == 200


def test_a_revoked_refresh_token_fails_the_refresh(start: Starter) -> None:
    sandbox = start(refresh_token_revoked=True).sandbox
    answer = token_of(
        sandbox,
        grant_type="refresh_token",
        client_id=sandbox.oauth_client_id,
        refresh_token=sandbox.refresh_token,
    )
    assert_oauth_error(answer, "invalid_grant")
    assert client_credentials(sandbox).status_code == 200  # other grants still work


def test_revoke_endpoint_ends_tokens_and_the_refresh_token(start: Starter) -> None:
    sandbox = start().sandbox
    root = sandbox.salesforce_instance_url
    refresh = {
        "grant_type": "refresh_token",
        "client_id": sandbox.oauth_client_id,
        "refresh_token": sandbox.refresh_token,
    }
    from_refresh = token_of(sandbox, **refresh).json()["access_token"]
    other = client_credentials(sandbox).json()["access_token"]
    revoked = httpx.post(f"{root}/services/oauth2/revoke", data={"token": other})
    assert revoked.status_code == 200
    with sf_client(sandbox, other) as client:
        assert_session_invalid(client.get("sobjects"))
    assert httpx.post(f"{root}/services/oauth2/revoke", data={"token": sandbox.refresh_token})
    with sf_client(sandbox, from_refresh) as client:
        assert_session_invalid(client.get("sobjects"))  # its refresh token was revoked
    assert_oauth_error(token_of(sandbox, **refresh), "invalid_grant")
    unknown = httpx.post(f"{root}/services/oauth2/revoke", data={"token": "nope"})
    assert_oauth_error(unknown, "invalid_token")


@pytest.fixture(scope="module")
def key_pair() -> tuple[rsa.RSAPrivateKey, str, str]:
    """An RSA key, its public key in PEM, and a self-signed certificate of it in PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hubload sandbox test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, public_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_jwt_bearer_flow(start: Starter, key_pair: tuple[rsa.RSAPrivateKey, str, str]) -> None:
    key, public_pem, _ = key_pair
    sandbox = start(jwt_public_key=public_pem).sandbox
    root = sandbox.salesforce_instance_url
    good = {
        "iss": sandbox.oauth_client_id,
        "sub": sandbox.salesforce_username,
        "aud": root,
        "exp": int(time.time()) + 180,
    }
    answer = token_of(sandbox, grant_type=JWT_GRANT, assertion=jwt(key, good))
    assert answer.status_code == 200, answer.text
    with sf_client(sandbox, answer.json()["access_token"]) as client:
        assert client.get("sobjects").status_code == 200
    login_host = {**good, "aud": "https://login.salesforce.com"}
    assert token_of(sandbox, grant_type=JWT_GRANT, assertion=jwt(key, login_host)).is_success

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refusals = [
        (jwt(other_key, good), "invalid_grant"),  # signed by another key
        (jwt(key, {**good, "aud": "https://elsewhere.example"}), "invalid_grant"),
        (jwt(key, {**good, "exp": int(time.time()) - 1}), "invalid_grant"),
        (jwt(key, {**good, "sub": "someone@else.example"}), "invalid_grant"),
        (jwt(key, {**good, "iss": "another-app"}), "invalid_client"),
        (jwt(key, good, alg="HS256"), "invalid_grant"),
        ("not.a.jwt", "invalid_grant"),
    ]
    for assertion, error in refusals:
        assert_oauth_error(token_of(sandbox, grant_type=JWT_GRANT, assertion=assertion), error)


def test_jwt_with_a_certificate_and_without_any_key(
    start: Starter, key_pair: tuple[rsa.RSAPrivateKey, str, str]
) -> None:
    key, _, certificate = key_pair
    sandbox = start(jwt_public_key=certificate).sandbox
    claims = {
        "iss": sandbox.oauth_client_id,
        "sub": sandbox.salesforce_username,
        "aud": sandbox.salesforce_instance_url,
        "exp": int(time.time()) + 60,
    }
    assert token_of(sandbox, grant_type=JWT_GRANT, assertion=jwt(key, claims)).is_success
    keyless = start().sandbox
    claims["aud"] = keyless.salesforce_instance_url
    refused = token_of(keyless, grant_type=JWT_GRANT, assertion=jwt(key, claims))
    assert_oauth_error(refused, "invalid_grant")


def test_versions_and_unknown_versions(faces: Faces) -> None:
    root = faces.sf.sandbox.salesforce_instance_url
    versions = httpx.get(f"{root}/services/data/").json()
    listed = {v["version"] for v in versions}
    assert {"58.0", "59.0", "60.0", "61.0", "62.0"} <= listed
    assert next(v for v in versions if v["version"] == "59.0") == {
        "label": "Winter '24",
        "url": "/services/data/v59.0",
        "version": "59.0",
    }
    headers = {"Authorization": f"Bearer {faces.sf.sandbox.salesforce_token}"}
    for version in ("v58.0", "v59.0", "v62.0"):
        assert httpx.get(f"{root}/services/data/{version}/sobjects", headers=headers).is_success
    for version in ("v20.0", "v99.0", "59.0", "vx"):
        answer = httpx.get(f"{root}/services/data/{version}/sobjects", headers=headers)
        assert answer.status_code == 404
        assert answer.json()[0]["errorCode"] == "NOT_FOUND"
