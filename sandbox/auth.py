"""The platform's `Authorization: User …, Organization …, Element …` header and its check."""

from __future__ import annotations

import hmac

from sandbox.config import SandboxConfig
from sandbox.exceptions import ApiError

_PARTS = ("user", "organization", "element")
UNAUTHORIZED = "Invalid Organization or User secret, or invalid Element token provided."


def parse_authorization(value: str) -> dict[str, str]:
    """The header's parts as lower-cased kind -> secret; parts may come in any order.

    Raises:
        ValueError: a part that is not `<User|Organization|Element> <secret>`, or a repeated one.
    """
    parts: dict[str, str] = {}
    for piece in value.split(","):
        kind, _, secret = piece.strip().partition(" ")
        kind = kind.lower()
        if kind not in _PARTS or kind in parts:
            raise ValueError(f"unexpected authorization part {kind!r}")
        parts[kind] = secret.strip()
    return parts


def check_authorization(value: str | None, config: SandboxConfig) -> None:
    """Accept the header when User and Element match, and Organization too if it is given.

    Raises:
        ApiError: 401 with the platform's message otherwise.
    """
    try:
        parts = parse_authorization(value or "")
    except ValueError:
        parts = {}
    wanted = {
        "user": config.user_secret.get_secret_value(),
        "organization": config.org_secret.get_secret_value(),
        "element": config.element_token.get_secret_value(),
    }
    required_ok = "user" in parts and "element" in parts
    matches = all(
        hmac.compare_digest(secret.encode(), wanted[kind].encode())
        for kind, secret in parts.items()
    )
    if not (required_ok and matches):
        raise ApiError(401, UNAUTHORIZED)
