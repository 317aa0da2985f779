"""Names that leave hubload (Prefect's locks and tags, the ledger's target) carry no secret of a
URL, whatever part of it the secret is in."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from hubload.errors import ConfigError
from hubload.targets import TargetKind
from hubload.targets.open_connectors import OpenConnectorsConfig
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.salesforce import SalesforceConfig
from hubload.targets.urls import public_name
from tasks.runs import lock_name, run_tags

SECRET = "s3cr3tV4lue"
CREDS = Credentials(user_secret=SecretStr("u"), element_token=SecretStr("e"))


@pytest.mark.parametrize(
    "url",
    [
        f"https://host.example/elements/api-v2?token={SECRET}",
        f"https://host.example/elements/api-v2#{SECRET}",
        f"https://host.example/elements/api-v2?a=1&key={SECRET}#x",
    ],
)
def test_query_and_fragment_never_reach_a_name(url: str) -> None:
    config = OpenConnectorsConfig(base_url=url, hub="helpdesk", credentials=CREDS)
    identity = config.identity
    names = [identity.key, str(identity), lock_name(identity, "Contact")]
    names += sorted(run_tags(identity, "Contact", None))
    assert all(SECRET not in name for name in names), names
    assert (
        lock_name(identity, "Contact")
        == "hubload-open-connectors-https-host-example-elements-api-v2-helpdesk-contact"
    )


@pytest.mark.parametrize(
    "url",
    [f"https://user:{SECRET}@host.example/api", f"https://{SECRET}@host.example/api"],
)
def test_user_info_is_refused_and_not_repeated(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        OpenConnectorsConfig(base_url=url, hub="helpdesk", credentials=CREDS)
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigError) as info:
        SalesforceConfig(instance_url=url, access_token=SecretStr("t"))
    assert SECRET not in str(info.value)


def test_public_name_cleans_anything_it_is_given() -> None:
    name = public_name("hubload", f"https://u:{SECRET}@h.example/p?q={SECRET}", "Contact")
    assert SECRET not in name and name == "hubload-https-h-example-p-contact"
    assert len(public_name("x", "y" * 500)) == 200


def test_salesforce_identity_is_the_instance() -> None:
    config = SalesforceConfig(
        instance_url=f"https://acme.my.salesforce.com/?sid={SECRET}", access_token=SecretStr("t")
    )
    identity = config.identity_for(config.instance_url or "")
    assert identity.kind is TargetKind.SALESFORCE
    assert identity.key == "salesforce https://acme.my.salesforce.com acme.my.salesforce.com"
    assert SECRET not in lock_name(identity, "Contact")
