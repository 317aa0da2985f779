"""Salesforce access tokens: obtained by OAuth 2.0 (client credentials, refresh token, JWT bearer)
or given ready, shared by every thread, renewed once when the org says it expired."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hubload.errors import AuthError, ConfigError, FatalApiError
from hubload.http import ErrorBody, RetryPolicy, json_body, send
from hubload.targets.salesforce.config import Grant, SalesforceConfig
from hubload.targets.urls import checked_url

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a path, not a secret
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_JWT_LIFETIME_S = 180


@dataclass(frozen=True)
class Token:
    """An access token and the instance it is good for."""

    access_token: str
    instance_url: str

    def __repr__(self) -> str:
        return f"Token(instance_url={self.instance_url!r}, access_token='**********')"


def oauth_envelope(response: httpx.Response, body: Any) -> ErrorBody | None:
    """OAuth's error answer ``{"error", "error_description"}``."""
    if isinstance(body, dict) and body.get("error"):
        return ErrorBody(
            message=str(body.get("error_description") or body["error"]), code=str(body["error"])
        )
    return None


class TokenSource:
    """Hands out the current token; ``renew`` gets one new token when the org refused the one a
    caller used (once for all the threads that saw it refused)."""

    def __init__(
        self,
        config: SalesforceConfig,
        http: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._http = http
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = None
        if config.grant is Grant.ACCESS_TOKEN:
            assert config.access_token is not None and config.instance_url is not None
            self._token = Token(config.access_token.get_secret_value(), config.instance_url)

    def current(self) -> Token:
        """The token to use now (one is obtained on first use).

        Raises:
            AuthError: the login was refused.
            ApiError: the login service could not be reached.
        """
        with self._lock:
            if self._token is None:
                self._token = self._obtain()
            return self._token

    def renew(self, refused: Token) -> Token:
        """A new token, since ``refused`` was refused (401); if another thread already renewed
        it, that one.

        Raises:
            AuthError: the token cannot be renewed (a ready token, a revoked refresh token...).
        """
        with self._lock:
            if self._token is not None and self._token.access_token != refused.access_token:
                return self._token
            if self._config.grant is Grant.ACCESS_TOKEN:
                raise AuthError(
                    "the Salesforce access token was refused (expired or revoked) and cannot be "
                    "renewed: give OAuth credentials (a client id with a secret, a refresh "
                    "token, or a JWT key) instead of a ready token",
                    status_code=401,
                    code="INVALID_SESSION_ID",
                )
            self._token = self._obtain()
            return self._token

    def _obtain(self) -> Token:
        url = self._config.login_url + TOKEN_PATH
        form = self._form()

        def once() -> httpx.Response:
            request = self._http.build_request("POST", url, data=form)
            return send(self._http, request, envelope=oauth_envelope)

        try:
            response = self._retry.run(once, self._sleep, label="Salesforce login: ")
        except (FatalApiError, AuthError) as exc:
            if exc.status_code not in (400, 401, 403):
                raise
            # The code leads the error's text already ("HTTP 400: invalid_client: ...").
            raise AuthError(
                f"Salesforce refused the login ({self._config.grant.value} at "
                f"{self._config.login_url}): {exc.message}",
                status_code=exc.status_code,
                code=exc.code,
            ) from exc
        body = json_body(response)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AuthError("the Salesforce login answered without an access token")
        instance = self._config.instance_url or checked_url(
            str(body.get("instance_url") or ""), "the instance URL the Salesforce login gave"
        )
        return Token(str(body["access_token"]), instance)

    def _form(self) -> dict[str, str]:
        config = self._config
        grant = config.grant
        client_id = config.client_id or ""
        if grant is Grant.CLIENT_CREDENTIALS:
            assert config.client_secret is not None
            return {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": config.client_secret.get_secret_value(),
            }
        if grant is Grant.REFRESH_TOKEN:
            assert config.refresh_token is not None
            form = {
                "grant_type": "refresh_token",
                "client_id": client_id,
                "refresh_token": config.refresh_token.get_secret_value(),
            }
            if config.client_secret is not None:
                form["client_secret"] = config.client_secret.get_secret_value()
            return form
        assert config.private_key is not None and config.username
        assertion = jwt_assertion(
            config.private_key.get_secret_value(),
            issuer=client_id,
            subject=config.username,
            audience=jwt_audience(config.login_url),
            expires=int(self._clock()) + _JWT_LIFETIME_S,
        )
        return {"grant_type": JWT_GRANT, "assertion": assertion}


_PRODUCTION = "https://login.salesforce.com"
_SANDBOXES = "https://test.salesforce.com"
_SANDBOX_HOST = re.compile(
    r"(?:[^.]+\.sandbox\.my\.salesforce\.com|[^.]+--[^.]+\.my\.salesforce\.com"
    r"|cs\d+\.(?:my\.)?salesforce\.com)"
)


def jwt_audience(login_url: str) -> str:
    """The JWT's ``aud``: Salesforce takes only its login hosts there (or an Experience Cloud
    site's URL), not a My Domain host, although the token may be asked for at a My Domain:
    ``https://test.salesforce.com`` for a sandbox org's host, ``https://login.salesforce.com``
    for any other Salesforce host, and any other login URL (a site, a stand-in) as it is."""
    host = (httpx.URL(login_url).host or "").lower()
    if _SANDBOX_HOST.fullmatch(host) or host == "test.salesforce.com":
        return _SANDBOXES
    if host == "salesforce.com" or host.endswith(".salesforce.com"):
        return _PRODUCTION
    if host.endswith(".salesforce.mil"):
        return "https://login.salesforce.mil"
    return login_url


def jwt_assertion(
    private_key_pem: str, *, issuer: str, subject: str, audience: str, expires: int
) -> str:
    """The RS256-signed JWT of Salesforce's JWT bearer flow.

    Raises:
        ConfigError: the key is not an RSA private key in PEM.
    """
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            "the Salesforce private key (HUBLOAD_SF_PRIVATE_KEY) is not an unencrypted PEM key"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("the Salesforce private key must be an RSA key (RS256)")
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": issuer, "sub": subject, "aud": audience, "exp": expires}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
