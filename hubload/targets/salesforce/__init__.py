"""Salesforce's own REST API and Bulk API 2.0 as a hubload target."""

from hubload.targets.salesforce.config import SalesforceConfig
from hubload.targets.salesforce.target import SalesforceTarget

__all__ = ["SalesforceConfig", "SalesforceTarget"]
