"""Starting and stopping a sandbox: uvicorn in a background thread on a socket bound here."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from sandbox.app import API_PREFIX, create_app
from sandbox.callbacks import CallbackSender
from sandbox.config import SandboxConfig
from sandbox.context import SandboxContext
from sandbox.faults import RequestFaults
from sandbox.runner import JobRunner
from sandbox.sf.tokens import Tokens
from sandbox.store import Store

_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 15.0


class RunningSandbox:
    """A sandbox serving in the background; use it as a context manager or call `stop()`."""

    def __init__(
        self,
        *,
        config: SandboxConfig,
        store: Store,
        runner: JobRunner,
        callbacks: CallbackSender,
        server: uvicorn.Server,
        thread: threading.Thread,
        host: str,
        port: int,
    ) -> None:
        self.config = config
        self.store = store
        self.host = host
        self.port = port
        self._runner = runner
        self._callbacks = callbacks
        self._server = server
        self._thread = thread
        self._stopped = False

    @property
    def base_url(self) -> str:
        """The API root, e.g. `http://127.0.0.1:8787/elements/api-v2`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PREFIX}"

    @property
    def authorization(self) -> str:
        """The exact `Authorization` header value the sandbox accepts."""
        return self.config.authorization()

    @property
    def salesforce_instance_url(self) -> str:
        """The Salesforce face's instance URL (also its login URL), e.g. `http://127.0.0.1:8787`."""
        return self.base_url.removesuffix(API_PREFIX)

    @property
    def salesforce_token(self) -> str:
        """The Salesforce face's static access token (it never expires)."""
        return self.config.salesforce_token.get_secret_value()

    @property
    def oauth_client_id(self) -> str:
        """The connected app's client id (client credentials, refresh token, JWT `iss`)."""
        return self.config.oauth_client_id

    @property
    def oauth_client_secret(self) -> str:
        """The connected app's client secret."""
        return self.config.oauth_client_secret.get_secret_value()

    @property
    def refresh_token(self) -> str:
        """The refresh token the refresh-token grant accepts (until revoked)."""
        return self.config.refresh_token.get_secret_value()

    @property
    def salesforce_username(self) -> str:
        """The run-as user (the JWT bearer flow's `sub`)."""
        return self.config.salesforce_username

    def stop(self) -> None:
        """Stop serving, stop the workers (a running job rolls back), close the database."""
        if self._stopped:
            return
        self._stopped = True
        self._server.should_exit = True
        self._thread.join(_STOP_TIMEOUT_S)
        self._runner.stop()
        self._callbacks.stop()
        self.store.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    # The explicit IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # when it sees that protocol number; without it every keep-alive answer waits about 40 ms
    # for a delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _wait_until_answering(sandbox: RunningSandbox, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the sandbox server thread died during start-up")
        try:
            httpx.get(sandbox.base_url + "/ping", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.02)
            continue
        return
    raise RuntimeError(f"the sandbox did not answer within {_START_TIMEOUT_S} s")


def start_sandbox(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    access_log: bool = False,
) -> RunningSandbox:
    """Start a sandbox on `host:port` (port 0 picks a free one) and wait until it answers.

    Jobs a previous run left CREATED or RUNNING in the same database are redone.

    Raises:
        OSError: the address cannot be bound.
        RuntimeError: the server did not come up.
    """
    store = Store(config.resolved_db_path())
    files_dir = config.files_dir()
    files_dir.mkdir(parents=True, exist_ok=True)
    key = config.signature_key.get_secret_value() if config.signature_key else None
    callbacks = CallbackSender(key)
    runner = JobRunner(store, config, callbacks, files_dir)
    ctx = SandboxContext(config, store, runner, RequestFaults(config), files_dir, Tokens(config))
    try:
        sock = _bind(host, port)
    except OSError:
        callbacks.stop()
        store.close()
        raise
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx),
            http="h11",
            lifespan="off",
            log_config=None,
            log_level=log_level,
            access_log=access_log,
            timeout_graceful_shutdown=5,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
    )
    bound_port = sock.getsockname()[1]
    sandbox = RunningSandbox(
        config=config,
        store=store,
        runner=runner,
        callbacks=callbacks,
        server=server,
        thread=thread,
        host=host,
        port=bound_port,
    )
    runner.start()
    thread.start()
    try:
        _wait_until_answering(sandbox, thread)
    except BaseException:
        sandbox.stop()
        raise
    return sandbox
