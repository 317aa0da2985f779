"""The SAP Open Connectors bulk API (``/hubs/{hub}/bulk``) as a hubload target."""

from hubload.targets.open_connectors.config import OpenConnectorsConfig
from hubload.targets.open_connectors.target import OpenConnectorsTarget

__all__ = ["OpenConnectorsConfig", "OpenConnectorsTarget"]
