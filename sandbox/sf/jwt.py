"""The JWT bearer flow's assertion: an RS256 JWT checked against the connected app's key.

Claims: `iss` the client id, `sub` the username, `aud` the login host, `exp` in the future.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.exceptions import ApiError


def oauth_refusal(error: str, description: str) -> ApiError:
    """OAuth's 400 refusal (`{"error", "error_description"}` on the token endpoint)."""
    return ApiError(400, description, error_code=error)


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def public_key(pem: str) -> rsa.RSAPublicKey:
    """The RSA key of a PEM public key or certificate.

    Raises:
        ValueError: not a PEM RSA public key or certificate.
    """
    data = pem.encode("utf-8")
    try:
        if b"CERTIFICATE" in data:
            key: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a PEM public key or certificate: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the JWT key must be an RSA key (RS256)")
    return key


def _claims(assertion: str, key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The verified claims of an RS256 JWT.

    Raises:
        ApiError: 400 invalid_grant for a malformed or badly signed assertion.
    """
    parts = assertion.split(".")
    invalid = oauth_refusal("invalid_grant", "invalid assertion")
    if len(parts) != 3:
        raise invalid
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise invalid from exc
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise invalid
    try:
        key.verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, UnicodeEncodeError) as exc:
        raise invalid from exc
    return claims


def verify_assertion(
    assertion: str,
    *,
    key_pem: str | None,
    client_id: str,
    username: str,
    audiences: set[str],
    now: float,
) -> None:
    """Check a JWT bearer assertion as Salesforce does.

    Raises:
        ApiError: 400 with OAuth's `invalid_grant` (bad assertion, audience, expiry, user, or no
            key configured) or `invalid_client` (an unknown issuer).
    """
    if key_pem is None:
        raise oauth_refusal(
            "invalid_grant", "no certificate for this client (sandbox: set jwt_public_key)"
        )
    try:
        key = public_key(key_pem)
    except ValueError as exc:
        raise oauth_refusal("invalid_grant", f"the sandbox's jwt_public_key: {exc}") from exc
    claims = _claims(assertion, key)
    if claims.get("iss") != client_id:
        raise oauth_refusal("invalid_client", "client identifier invalid")
    if str(claims.get("aud", "")).rstrip("/") not in audiences:
        raise oauth_refusal("invalid_grant", "audience is invalid")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= now:
        raise oauth_refusal("invalid_grant", "expired authorization code")
    if claims.get("sub") != username:
        raise oauth_refusal("invalid_grant", "user hasn't approved this consumer")
