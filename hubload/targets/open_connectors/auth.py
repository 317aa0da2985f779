"""Open Connectors credentials and the ``Authorization`` header built from them."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from hubload.errors import ConfigError

_PARTS = {"user": "user_secret", "organization": "organization_secret", "element": "element_token"}


class Credentials(BaseModel):
    """The user secret, organization secret and element instance token of one connector.

    Every secret is a ``SecretStr``: ``repr``, ``str`` and logs show ``**********``.
    """

    model_config = ConfigDict(frozen=True)

    user_secret: SecretStr
    element_token: SecretStr
    organization_secret: SecretStr | None = None

    def authorization_header(self) -> str:
        """The exact value of the ``Authorization`` header (a secret: never log it)."""
        parts = [f"User {self.user_secret.get_secret_value()}"]
        if self.organization_secret is not None:
            parts.append(f"Organization {self.organization_secret.get_secret_value()}")
        parts.append(f"Element {self.element_token.get_secret_value()}")
        return ", ".join(parts)

    @classmethod
    def from_header(cls, header: str) -> Credentials:
        """Parse ``User x, Organization y, Element z`` (parts in any order, Organization optional).

        Raises:
            ConfigError: a part is unknown, repeated, empty, or User / Element is missing.
                The message names the part, never its value.
        """
        found: dict[str, SecretStr] = {}
        for position, chunk in enumerate((c.strip() for c in header.split(",")), start=1):
            if not chunk:
                continue
            kind, _, value = chunk.partition(" ")
            key = _PARTS.get(kind.lower())
            if key is None:
                # Never echo the part: a malformed header may run a name into its secret.
                raise ConfigError(
                    f"authorization header: part {position} is not 'User <secret>', "
                    "'Organization <secret>' or 'Element <token>'"
                )
            if key in found:
                raise ConfigError(f"authorization header: {kind} given twice")
            if not value.strip():
                raise ConfigError(f"authorization header: {kind} has no value")
            found[key] = SecretStr(value.strip())
        missing = [name for name in ("User", "Element") if _PARTS[name.lower()] not in found]
        if missing:
            raise ConfigError(f"authorization header: missing {' and '.join(missing)}")
        return cls(**found)


class ElementsAuth(httpx.Auth):
    """Adds the ``Authorization`` header at send time, so it never sits in client defaults."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header on the outgoing request."""
        request.headers["Authorization"] = self._credentials.authorization_header()
        yield request
