"""The Salesforce face's access tokens: issued signed and timed, checked on every call.

A token carries its expiry and the grant that made it, signed with a key derived from the
client secret: it survives a restart of the sandbox (as a real session survives a server's),
and needs no storage. Revocation (`/services/oauth2/revoke`, or `refresh_token_revoked`) is
kept in memory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from enum import StrEnum

from sandbox.config import SandboxConfig
from sandbox.exceptions import ApiError
from sandbox.ids import salesforce_ids

ORG_ID = salesforce_ids("00D", 1, 1)[0]
USER_ID = salesforce_ids("005", 1, 1)[0]
SESSION_INVALID = "Session expired or invalid"


class Grant(StrEnum):
    """How a token was obtained (a token of a revoked refresh token is refused too)."""

    STATIC = "static"
    CLIENT_CREDENTIALS = "cc"
    REFRESH_TOKEN = "rt"  # noqa: S105 - a grant's name, not a secret
    JWT_BEARER = "jwt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Tokens:
    """Issues and checks access tokens; thread-safe."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._clock = clock
        secret = config.oauth_client_secret.get_secret_value().encode("utf-8")
        self._key = hashlib.sha256(b"hubload-sandbox-tokens\0" + secret).digest()
        self._lock = threading.Lock()
        self._revoked: set[str] = set()
        self._refresh_revoked = config.refresh_token_revoked

    def issue(self, grant: Grant) -> str:
        """A new access token good for `token_ttl_seconds`."""
        expires_ms = int((self._clock() + self._config.token_ttl_seconds) * 1000)
        payload = f"{expires_ms}.{grant.value}.{secrets.token_hex(8)}"
        body = _b64(payload.encode("ascii"))
        return f"{ORG_ID[:15]}!{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def grant_of(self, token: str) -> Grant | None:
        """The grant of a valid, unexpired, unrevoked token; None otherwise."""
        static = self._config.salesforce_token.get_secret_value()
        if hmac.compare_digest(token.encode("utf-8"), static.encode("utf-8")):
            return Grant.STATIC
        org, bang, rest = token.partition("!")
        body, dot, signature = rest.rpartition(".")
        if not (bang and dot and org == ORG_ID[:15]):
            return None
        if not hmac.compare_digest(signature.encode("ascii", "replace"), self._sign(body).encode()):
            return None
        try:
            text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
            expires, grant_name, _ = text.split(".")
            grant = Grant(grant_name)
            alive = int(expires) > self._clock() * 1000
        except ValueError:
            return None
        with self._lock:
            revoked = token in self._revoked or (
                grant is Grant.REFRESH_TOKEN and self._refresh_revoked
            )
        return grant if alive and not revoked else None

    def check_bearer(self, header: str | None) -> None:
        """Accept `Authorization: Bearer <token>` (or Salesforce's older `OAuth <token>`).

        Raises:
            ApiError: 401 INVALID_SESSION_ID for a missing, unknown, expired or revoked token.
        """
        scheme, _, token = (header or "").strip().partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or self.grant_of(token.strip()) is None:
            raise ApiError(401, SESSION_INVALID, error_code="INVALID_SESSION_ID")

    def refresh_token_ok(self, token: str) -> bool:
        """Whether `token` is the configured refresh token and it is not revoked."""
        wanted = self._config.refresh_token.get_secret_value()
        with self._lock:
            revoked = self._refresh_revoked
        return not revoked and hmac.compare_digest(token.encode("utf-8"), wanted.encode("utf-8"))

    def revoke(self, token: str) -> bool:
        """Revoke an access token, or the refresh token (and every token it gave); False
        when `token` is neither."""
        if self.refresh_token_ok(token):
            with self._lock:
                self._refresh_revoked = True
            return True
        grant = self.grant_of(token)
        if grant is None or grant is Grant.STATIC:
            return False
        with self._lock:
            self._revoked.add(token)
        return True
