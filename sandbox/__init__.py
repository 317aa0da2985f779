"""hubload's sandbox: a local, faithful stand-in for the Open Connectors bulk API.

It stands apart from the client: it imports nothing of `hubload`, `schemas`, `tasks`, `flows`
or `cli`, and has its own object catalogue and record checks.
"""

from sandbox.config import SandboxConfig
from sandbox.server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "SandboxConfig", "start_sandbox"]
