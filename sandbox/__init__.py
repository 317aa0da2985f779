"""hubload's sandbox: a local, faithful stand-in for the Open Connectors bulk API and for
Salesforce's Bulk API 2.0 (with OAuth and describe), two faces of one record store.

It stands apart from the client: it imports nothing of `hubload`, `schemas`, `tasks`, `flows`
or `cli`, and has its own object catalogue and record checks.
"""

from sandbox.config import SandboxConfig
from sandbox.server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "SandboxConfig", "start_sandbox"]
