"""`POST /services/oauth2/token` (client credentials, refresh token, JWT bearer) and
`POST /services/oauth2/revoke`: the Salesforce face's login.

No fault is injected here: the faults exercise a client's API calls, not its login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.config import SandboxConfig
from sandbox.context import SandboxContext
from sandbox.sf.jwt import oauth_refusal, verify_assertion
from sandbox.sf.tokens import ORG_ID, USER_ID, Grant

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The audiences Salesforce's JWT flow names, beside the sandbox's own URL (its login host).
LOGIN_HOSTS = {"https://login.salesforce.com", "https://test.salesforce.com"}


def instance_url(request: Request) -> str:
    """The instance root as the caller reached it: `http://host:port`."""
    return str(request.base_url).rstrip("/")


def _client_ok(config: SandboxConfig, client_id: str, secret: str | None) -> bool:
    if not hmac.compare_digest(client_id.encode(), config.oauth_client_id.encode()):
        return False
    wanted = config.oauth_client_secret.get_secret_value()
    return secret is None or hmac.compare_digest(secret.encode(), wanted.encode())


def _grant(request: Request, ctx: SandboxContext, form: dict[str, str]) -> Grant:
    """The grant the form asks for, once its credentials check out.

    Raises:
        ApiError: 400 OAuth refusals (`unsupported_grant_type`, `invalid_client`,
            `invalid_grant`).
    """
    config = ctx.config
    grant_type = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    if grant_type == "client_credentials":
        secret = form.get("client_secret", "")
        if not _client_ok(config, client_id, secret):
            raise oauth_refusal("invalid_client", "invalid client credentials")
        return Grant.CLIENT_CREDENTIALS
    if grant_type == "refresh_token":
        # The secret is optional, as with "Require Secret for Refresh Token Flow" off.
        if not _client_ok(config, client_id, form.get("client_secret")):
            raise oauth_refusal("invalid_client", "invalid client credentials")
        if not ctx.tokens.refresh_token_ok(form.get("refresh_token", "")):
            raise oauth_refusal("invalid_grant", "expired access/refresh token")
        return Grant.REFRESH_TOKEN
    if grant_type == JWT_GRANT:
        try:
            key_pem = config.jwt_key_pem()
        except OSError as exc:
            raise oauth_refusal("invalid_grant", f"the sandbox's jwt_public_key: {exc}") from exc
        verify_assertion(
            form.get("assertion", ""),
            key_pem=key_pem,
            client_id=config.oauth_client_id,
            username=config.salesforce_username,
            audiences={instance_url(request), *LOGIN_HOSTS},
            now=time.time(),
        )
        return Grant.JWT_BEARER
    raise oauth_refusal("unsupported_grant_type", "grant type not supported")


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def token(request: Request) -> Response:
    """`POST /services/oauth2/token` (form-encoded)."""
    ctx: SandboxContext = request.app.state.sandbox
    grant = _grant(request, ctx, await _form(request))
    root = instance_url(request)
    identity = f"{root}/id/{ORG_ID}/{USER_ID}"
    issued_at = str(int(time.time() * 1000))
    secret = ctx.config.oauth_client_secret.get_secret_value().encode("utf-8")
    # Salesforce signs the identity URL and issued_at with the client secret.
    digest = hmac.new(secret, (identity + issued_at).encode("utf-8"), hashlib.sha256).digest()
    return JSONResponse(
        {
            "access_token": ctx.tokens.issue(grant),
            "instance_url": root,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode("ascii"),
        }
    )


async def revoke(request: Request) -> Response:
    """`POST /services/oauth2/revoke` (form `token`): an access token or the refresh token."""
    ctx: SandboxContext = request.app.state.sandbox
    if not ctx.tokens.revoke((await _form(request)).get("token", "")):
        raise oauth_refusal("invalid_token", "invalid token")
    return Response(status_code=200)
