"""The Prefect blocks that hold a target's credentials (secrets as ``SecretStr``), one type per
target kind, and the one way a flow resolves its target: a named block, else the environment."""

from __future__ import annotations

from typing import cast

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from hubload.errors import ConfigError
from hubload.settings import Settings
from hubload.targets import TargetConfig, TargetKind, config_from_env
from hubload.targets.open_connectors import OpenConnectorsConfig
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.open_connectors.config import DEFAULT_HUB
from hubload.targets.salesforce import SalesforceConfig
from hubload.targets.salesforce.config import DEFAULT_API_VERSION, DEFAULT_LOGIN_URL


class OpenConnectorsTarget(Block):
    """An Open Connectors tenant: its API base URL and one connector instance's credentials.

    Register the type with ``hubload blocks register``; save one with ``hubload target save``.
    """

    _block_type_name = "hubload target"
    _block_type_slug = "hubload-target"
    _description = "SAP Open Connectors bulk API target for hubload (base URL and credentials)."

    base_url: str = Field(
        description="e.g. https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2"
    )
    user_secret: SecretStr = Field(description="The user secret.")
    organization_secret: SecretStr | None = Field(
        default=None, description="The organization secret."
    )
    element_token: SecretStr = Field(description="The connector instance's element token.")
    hub: str = Field(default=DEFAULT_HUB, description="The default hub (helpdesk, crm...).")
    instance_name: str | None = Field(
        default=None, description="A name for this instance in run records (default: the URL)."
    )

    def config(self, hub: str | None = None) -> OpenConnectorsConfig:
        """The target of one hub of this tenant."""
        return OpenConnectorsConfig(
            base_url=self.base_url,
            hub=hub or self.hub,
            credentials=Credentials(
                user_secret=self.user_secret,
                organization_secret=self.organization_secret,
                element_token=self.element_token,
            ),
            instance_name=self.instance_name,
        )


class SalesforceTarget(Block):
    """A Salesforce org reached through its own Bulk API 2.0: the instance, and OAuth 2.0
    credentials (client credentials, a refresh token, or a JWT key) or a ready access token.

    Register the type with ``hubload blocks register``; save one with ``hubload target save``.
    """

    _block_type_name = "hubload salesforce"
    _block_type_slug = "hubload-salesforce"
    _description = "Salesforce Bulk API 2.0 target for hubload (instance and OAuth credentials)."

    instance_url: str | None = Field(
        default=None, description="e.g. https://acme.my.salesforce.com (default: the login's)."
    )
    login_url: str = Field(default=DEFAULT_LOGIN_URL, description="The OAuth host.")
    api_version: str = Field(default=DEFAULT_API_VERSION, description="e.g. 62.0")
    client_id: str | None = Field(default=None, description="The connected app's consumer key.")
    client_secret: SecretStr | None = Field(default=None, description="Its consumer secret.")
    refresh_token: SecretStr | None = Field(default=None, description="A refresh token.")
    username: str | None = Field(default=None, description="The user, for the JWT bearer flow.")
    private_key: SecretStr | None = Field(
        default=None, description="The connected app's RSA private key (PEM), for JWT."
    )
    access_token: SecretStr | None = Field(default=None, description="A ready access token.")
    instance_name: str | None = Field(
        default=None, description="A name for this org in run records (default: the URL)."
    )

    def config(self, hub: str | None = None) -> SalesforceConfig:
        """The org this block describes (``hub`` means nothing to Salesforce)."""
        return SalesforceConfig(
            instance_url=self.instance_url,
            login_url=self.login_url,
            api_version=self.api_version,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            username=self.username,
            private_key=self.private_key,
            access_token=self.access_token,
            instance_name=self.instance_name,
        )


BLOCK_TYPES: dict[TargetKind, type[OpenConnectorsTarget] | type[SalesforceTarget]] = {
    TargetKind.OPEN_CONNECTORS: OpenConnectorsTarget,
    TargetKind.SALESFORCE: SalesforceTarget,
}


def load_block(name: str) -> OpenConnectorsTarget | SalesforceTarget:
    """The target block called ``name`` (``slug/name`` picks its type; a bare name is looked
    for among both types).

    Raises:
        ConfigError: no block of that name (of either type).
    """
    slug, _, bare = name.rpartition("/")
    kinds = [c for c in BLOCK_TYPES.values() if not slug or c.get_block_type_slug() == slug]
    for block_type in kinds:
        try:
            # Block.load is sync-compatible: from sync code it returns the block itself.
            return cast(OpenConnectorsTarget | SalesforceTarget, block_type.load(bare or name))
        except ValueError:
            continue
    types = ", ".join(c.get_block_type_slug() for c in BLOCK_TYPES.values())
    raise ConfigError(
        f"no target block named {name!r} (looked among {types}); see `prefect block ls`, or "
        "save one with `hubload target save NAME`"
    )


def resolve_target(
    kind: TargetKind | None, hub: str | None, block_name: str | None
) -> TargetConfig:
    """The target from the named block, else from the environment (``HUBLOAD_*``).

    Raises:
        ConfigError: no such block, a block of another kind than ``kind``, or no usable target
            in the environment.
    """
    if block_name:
        block = load_block(block_name)
        config = block.config(hub)
        if kind is not None and config.kind != kind.value:
            raise ConfigError(
                f"target block {block_name!r} is a {config.kind} target, not {kind.value}"
            )
        return config
    return config_from_env(kind or Settings().target, hub=hub)
