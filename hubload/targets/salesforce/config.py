"""How to reach a Salesforce org: its instance URL and one way of getting an access token."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from hubload.errors import ConfigError
from hubload.targets.base import TargetIdentity, TargetKind
from hubload.targets.urls import checked_url

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "62.0"


class Grant(StrEnum):
    """How the access token is obtained (and renewed when it expires)."""

    ACCESS_TOKEN = "access-token"  # noqa: S105 - names of grants, not secrets
    """A ready token: used as is, never renewed."""
    CLIENT_CREDENTIALS = "client-credentials"
    REFRESH_TOKEN = "refresh-token"  # noqa: S105
    JWT_BEARER = "jwt-bearer"


class SalesforceConfig(BaseModel):
    """A Salesforce org reached through its own REST and Bulk API 2.0 (or the sandbox's
    Salesforce face). The grant is chosen from what is given: a private key and a username make
    the JWT bearer flow, a refresh token the refresh-token flow, a client secret alone the
    client-credentials flow, and an access token (with the instance URL) is used as it is."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["salesforce"] = "salesforce"
    instance_url: str | None = None
    """e.g. ``https://acme.my.salesforce.com``; given by the token answer when omitted."""
    login_url: str = DEFAULT_LOGIN_URL
    """The OAuth host: ``https://login.salesforce.com``, ``https://test.salesforce.com`` for
    sandboxes, or a My Domain URL."""
    api_version: str = DEFAULT_API_VERSION
    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    username: str | None = None
    private_key: SecretStr | None = None
    """The connected app's RSA private key (PEM), for the JWT bearer flow."""
    instance_name: str | None = None
    """Names the instance in the target's identity instead of the URL (the embedded sandbox)."""

    @field_validator("instance_url")
    @classmethod
    def _instance(cls, value: str | None) -> str | None:
        return None if value is None else checked_url(value, "the Salesforce instance URL")

    @field_validator("login_url")
    @classmethod
    def _login(cls, value: str) -> str:
        return checked_url(value, "the Salesforce login URL")

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        text = value.strip().lstrip("vV")
        major, _, minor = text.partition(".")
        if not major.isdigit() or (minor and not minor.isdigit()):
            raise ConfigError(f"the Salesforce API version {value!r} is not like 62.0")
        return f"{int(major)}.{int(minor or 0)}"

    @model_validator(mode="after")
    def _usable(self) -> SalesforceConfig:
        self.grant  # noqa: B018 - raises ConfigError when no grant can be made
        return self

    @property
    def grant(self) -> Grant:
        """The grant the given settings make.

        Raises:
            ConfigError: no usable combination was given.
        """
        if self.private_key is not None and self.username and self.client_id:
            return Grant.JWT_BEARER
        if self.refresh_token is not None and self.client_id:
            return Grant.REFRESH_TOKEN
        if self.client_secret is not None and self.client_id:
            return Grant.CLIENT_CREDENTIALS
        if self.access_token is not None:
            if self.instance_url is None:
                raise ConfigError(
                    "a Salesforce access token needs the instance URL too (HUBLOAD_SF_INSTANCE_URL)"
                )
            return Grant.ACCESS_TOKEN
        raise ConfigError(
            "no Salesforce credentials: give a client id with a client secret "
            "(HUBLOAD_SF_CLIENT_ID, HUBLOAD_SF_CLIENT_SECRET), a refresh token, a private key and "
            "username (JWT), or an access token with the instance URL"
        )

    def identity_for(self, instance_url: str) -> TargetIdentity:
        """The identity of the org at ``instance_url`` (the configured one, or the token's)."""
        name = self.instance_name or instance_url
        return TargetIdentity(TargetKind.SALESFORCE, name, httpx.URL(instance_url).host or "org")

    def fingerprint(self) -> str:
        """Tells two configs apart, secrets included, without showing them (a cache key)."""
        parts = [self.instance_url or "", self.login_url, self.api_version, self.client_id or ""]
        for secret in (self.access_token, self.client_secret, self.refresh_token, self.private_key):
            parts.append(secret.get_secret_value() if secret is not None else "")
        parts += [self.username or "", self.instance_name or ""]
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
