"""The Prefect block that holds a target's credentials (its secrets as ``SecretStr``)."""

from __future__ import annotations

from typing import cast

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from hubload.credentials import Credentials
from hubload.settings import Settings
from hubload.target import Target


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

    def target(self, hub: str) -> Target:
        """The target of one hub of this tenant."""
        return Target(
            base_url=self.base_url,
            hub=hub,
            credentials=Credentials(
                user_secret=self.user_secret,
                organization_secret=self.organization_secret,
                element_token=self.element_token,
            ),
        )


def resolve_target(hub: str, block_name: str | None) -> Target:
    """The target from the named block, else from the environment (``HUBLOAD_*``).

    Raises:
        ConfigError: no block name and no target in the environment.
        ValueError: no block of that name.
    """
    if block_name:
        # Block.load is sync-compatible: called from sync code it returns the block itself.
        block = cast(OpenConnectorsTarget, OpenConnectorsTarget.load(block_name))
        return block.target(hub)
    return Target.from_settings(Settings(), hub)
