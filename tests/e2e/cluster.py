"""A Prefect cluster on this machine, for end-to-end tests and benchmarks of several workers.

``prefect_cluster(root)`` starts, once:

- a private PostgreSQL server (``tests.core.postgres``), holding Prefect's own database and, in
  databases made with ``Cluster.database``, the hubload ledgers;
- ``prefect server start`` on a free port, on that PostgreSQL;
- the process work pool ``hubload``, the deployments of ``deployments/prefect.yaml`` (with
  ``prefect --no-prompt deploy --all``, as the README says) and the automation that marks
  flow runs whose heartbeats stopped as Crashed
  (``deployments/automations/crash-zombie-runs.yaml``).

``Cluster.workers(n, ...)`` then starts ``n`` process workers (``prefect worker start --pool
hubload``), each as if on its own machine: its own ``HOME``, ``HUBLOAD_HOME``, ``PREFECT_HOME``,
``PREFECT_LOCAL_STORAGE_PATH``, working directory and log file. They share only what machines
of a real cluster share: the Prefect API, the ledger (PostgreSQL), the storage (a shared folder
or an S3 URL) and the checkout of this repository (the deployments' pull step). A worker can
die like a machine (``Worker.kill``): its whole process tree is frozen, then SIGKILLed.

While the cluster runs, this process's Prefect client talks to its server (``temporary_settings``;
the previous settings come back afterwards).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import FlowRun
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    temporary_settings,
)

from tests.core.postgres import postgres_server
from tests.e2e.deploy_support import background
from tests.e2e.servers import wait_healthy

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
POOL = "hubload"
ZOMBIE_AUTOMATION = REPO / "deployments" / "automations" / "crash-zombie-runs.yaml"
HEARTBEAT_SECONDS = 30  # the least Prefect takes; the automation expects one within 90 s
# Workers ask for runs every 2 s (Prefect's default: 10 s), so that a file's run starts soon
# after the nightly run makes it.
WORKER_QUERY_SECONDS = 2
STARTUP_SECONDS = 180
CLI_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without hubload's or Prefect's settings (a test session may
    have exported its own server's), with Prefect's telemetry off, plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HUBLOAD_", "PREFECT_", "AWS_"))
    }
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the checkout's bytecode is cached, as in ./run
    env.update(extra)
    return env


# The process tree of a worker -----------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    """Every live process's children, read from /proc."""
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it ended meanwhile
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(stat.parent.name))
    return kids


def process_tree(pid: int) -> set[int]:
    """``pid`` and all its descendants (whatever their session or process group: Prefect's
    process worker starts each flow run in a session of its own)."""
    kids = _children()
    tree, todo = set(), [pid]
    while todo:
        one = todo.pop()
        if one not in tree:
            tree.add(one)
            todo.extend(kids.get(one, []))
    return tree


def _signal_all(pids: set[int], sig: signal.Signals) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, sig)


@dataclass
class Worker:
    """A process worker and its "machine": a folder with its home, Prefect home, local result
    storage, working directory and log."""

    name: str
    root: Path
    env: dict[str, str]
    limit: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    frozen: set[int] = field(default_factory=set)

    @property
    def home(self) -> Path:
        """Its ``HUBLOAD_HOME``: run folders, the cache of the shared storage."""
        return self.root / "hubload"

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    @property
    def log(self) -> Path:
        return self.root / "worker.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"worker {self.name} is not started"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        for folder in (self.home, self.cwd, self.root / "prefect", self.root / "results"):
            folder.mkdir(parents=True, exist_ok=True)
        args = [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--name", self.name]
        if self.limit is not None:
            args += ["--limit", str(self.limit)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                args,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def hosts(self, pid: int) -> bool:
        """Whether ``pid`` is the worker or one of its descendants (a flow run it started)."""
        return self.alive() and pid in process_tree(self.pid)

    def freeze(self) -> set[int]:
        """SIGSTOP the worker and every descendant, until no new one appears (a stopped
        process starts no other); the pids frozen. ``thaw`` undoes it, ``kill`` ends them."""
        while True:
            tree = process_tree(self.pid) - self.frozen
            if not tree:
                return self.frozen
            _signal_all(tree, signal.SIGSTOP)
            self.frozen |= tree

    def thaw(self) -> None:
        _signal_all(self.frozen, signal.SIGCONT)
        self.frozen = set()

    def kill(self) -> set[int]:
        """Die like a machine: the whole tree (worker and flow runs) frozen, then SIGKILLed
        at once, with no chance to report anything. The pids killed."""
        if not self.alive():
            return set()
        doomed = set(self.freeze())
        _signal_all(doomed, signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(timeout=30)
        self.frozen = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(pid) for pid in doomed):
            time.sleep(0.1)
        return doomed

    def stop(self) -> None:
        """End it (and its runs) at the end of a test: SIGKILL too, runs need no grace here."""
        if self.alive():
            self.kill()

    def submitted(self) -> set[UUID]:
        """The flow runs this worker submitted, from its log."""
        found = set()
        marker = f"Worker '{self.name}' submitting flow run '"
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        for line in text.splitlines():
            if marker in line:
                found.add(UUID(line.split(marker, 1)[1][:36]))
        return found


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its parent does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}


# Shared settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedStorage:
    """The shared storage of the workers: a folder every "machine" reaches (a shared mount),
    or an fsspec URL with its options and the environment that reaches it (AWS variables)."""

    url: str
    options: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)

    def settings(self) -> dict[str, str]:
        """hubload's settings naming it, and the variables that reach it."""
        env = {"HUBLOAD_STORAGE": self.url, **self.env}
        if self.options:
            env["HUBLOAD_STORAGE_OPTIONS"] = json.dumps(dict(self.options))
        return env


# The cluster ----------------------------------------------------------------------------------


@dataclass
class Cluster:
    """A running PostgreSQL and Prefect server, with the pool, deployments and automation."""

    root: Path
    postgres_url: str  # the server's ``postgres`` database, as an administrator
    api_url: str
    server_log: Path
    workers_started: list[Worker] = field(default_factory=list)

    def database(self, name: str) -> str:
        """Make a fresh database ``name`` (dropped first if it exists); its URL."""
        with psycopg.connect(self.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.postgres_url.rsplit("/", 1)[0] + f"/{name}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process on the "admin's machine": the API, nothing else."""
        return clean_environment(PREFECT_API_URL=self.api_url, **extra)

    def prefect(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run a ``prefect`` command from the repository against the cluster; its output.

        Raises:
            AssertionError: the command failed (with its output).
        """
        done = subprocess.run(
            [str(BIN / "prefect"), *args],
            env={**self.env(HUBLOAD_REPO=str(REPO)), **(env or {})},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=CLI_SECONDS,
            check=False,
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    @contextmanager
    def workers(
        self,
        count: int,
        *,
        ledger_url: str,
        storage: SharedStorage | None,
        prefix: str = "worker",
        limit: int | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> Iterator[list[Worker]]:
        """Start ``count`` workers, each on its own "machine" under ``root/<prefix>-<n>``,
        sharing the ledger and the storage, each running at most ``limit`` flow runs at once
        (``--limit``; without it, the first worker to poll takes every run waiting); all are
        killed when the block ends."""
        started: list[Worker] = []
        try:
            for number in range(1, count + 1):
                name = f"{prefix}-{number}"
                root = self.root / name
                if root.exists():
                    shutil.rmtree(root)
                worker = Worker(name, root, {}, limit)
                worker.env = self.worker_env(worker, ledger_url, storage, extra_env or {})
                worker.start()
                started.append(worker)
                self.workers_started.append(worker)
            self.wait_for_workers({w.name for w in started})
            yield started
        finally:
            for worker in started:
                worker.stop()
                self.workers_started.remove(worker)  # a later set may reuse its name

    def worker_env(
        self,
        worker: Worker,
        ledger_url: str,
        storage: SharedStorage | None,
        extra: Mapping[str, str],
    ) -> dict[str, str]:
        """A worker's environment: its own folders; the shared API, ledger and storage."""
        own = {
            "HOME": str(worker.root),
            "HUBLOAD_HOME": str(worker.home),
            "PREFECT_HOME": str(worker.root / "prefect"),
            "PREFECT_LOCAL_STORAGE_PATH": str(worker.root / "results"),
            "PYTHONUNBUFFERED": "1",  # its log is read while it runs (``Worker.submitted``)
        }
        shared = {
            "PREFECT_API_URL": self.api_url,
            "HUBLOAD_LEDGER_URL": ledger_url,
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS),
            "PREFECT_WORKER_QUERY_SECONDS": str(WORKER_QUERY_SECONDS),
            **(storage.settings() if storage is not None else {}),
        }
        return clean_environment(**own, **shared, **extra)

    def wait_for_workers(self, names: set[str], timeout: float = 120) -> None:
        """Wait until the pool lists every named worker (each has polled once)."""

        def online() -> bool:
            with get_client(sync_client=True) as client:
                seen = {w.name for w in client.read_workers_for_work_pool(POOL)}
            return names <= seen

        deadline = time.monotonic() + timeout
        while not online():
            dead = [w for w in self.workers_started if w.name in names and not w.alive()]
            if dead or time.monotonic() > deadline:
                logs = "\n".join(w.log.read_text()[-2000:] for w in dead or self.workers_started)
                raise AssertionError(f"workers {sorted(names)} not online:\n{logs}")
            time.sleep(0.5)

    def worker_of(self, run: FlowRun) -> Worker | None:
        """The live worker whose process tree runs ``run`` (by its infrastructure pid)."""
        if not run.infrastructure_pid:
            return None
        pid = int(run.infrastructure_pid.rsplit(":", 1)[-1])
        return next((w for w in self.workers_started if w.hosts(pid)), None)

    def submitted_by(self, flow_run_id: UUID) -> Worker | None:
        """The worker that submitted a flow run (from the workers' logs)."""
        return next((w for w in self.workers_started if flow_run_id in w.submitted()), None)


@contextmanager
def prefect_cluster(root: Path) -> Iterator[Cluster]:
    """Start PostgreSQL and a Prefect server on it, create the pool, deploy, create the
    zombie-run automation; point this process's Prefect client at it; stop all afterwards."""
    root.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        postgres_url = stack.enter_context(postgres_server())
        cluster = Cluster(root, postgres_url, "", root / "server" / "server.log")
        prefect_db = cluster.database("prefect")
        cluster.api_url = stack.enter_context(_prefect_server(root / "server", prefect_db))
        stack.enter_context(
            temporary_settings(
                updates={
                    PREFECT_API_URL: cluster.api_url,
                    PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                }
            )
        )
        try:
            _set_up(cluster)
            yield cluster
        finally:
            for worker in cluster.workers_started:
                worker.stop()


def _set_up(cluster: Cluster) -> None:
    """The pool, the deployments and the automation, the way the README does them."""
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)
    cluster.prefect("--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
    cluster.prefect("automation", "create", "--from-file", str(ZOMBIE_AUTOMATION))


@contextmanager
def _prefect_server(home: Path, database_url: str) -> Iterator[str]:
    """``prefect server start`` on a free port with its database on PostgreSQL; its API URL.
    The scheduler service is off: the deployments' cron schedules must not start runs here."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = clean_environment(
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_CONNECTION_URL=database_url.replace(
            "postgresql://", "postgresql+asyncpg://"
        ),
        PREFECT_UI_API_URL=url,
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
    )
    args = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with background(args, env, home / "server.log") as server:
        wait_healthy(url, server, home / "server.log", STARTUP_SECONDS)
        yield url
