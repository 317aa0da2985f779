"""Many workers, one truth (issue 12): a nightly run fanned out over three process workers, each
on its own "machine", sharing a Prefect server on PostgreSQL, the ledger on PostgreSQL and the
storage (a shared folder, or S3 served by moto on loopback).

One nightly run loads 12 inbox files on 3 objects; in its middle one worker dies like a machine
(its whole process tree SIGKILLed while a load of it has a job at the target). The zombie-run
automation marks its runs Crashed; the nightly run leaves their files in the inbox; the next
nightly run takes them up on the workers still alive. Then: every row is loaded once, loads of
different objects overlapped, loads of one object never had jobs in flight at once, every file
is archived, and every run's reports are read from the shared storage alone.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.objects import FlowRun

from hubload.ledger import Ledger, RunRecord
from hubload.reports_store import read_report
from sandbox.config import SandboxConfig
from sandbox.jobs import Job
from sandbox.server import RunningSandbox, start_sandbox
from tests.e2e.cluster import BIN, REPO, Cluster, SharedStorage, Worker, prefect_cluster
from tests.e2e.deploy_support import (
    final_state,
    run_deployment_like_the_ui,
    save_target_block,
    table_artifact,
)
from tests.s3 import s3_endpoint

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MAPPINGS = REPO / "mappings"
HEADER = [
    "C_EmailAddress",
    "C_FirstName",
    "C_LastName",
    "C_Title",
    "C_BusPhone",
    "C_Company",
    "C_Website1",
]
ROWS = 300  # per file, 2 of them rejected (a bad email)
BAD_LINES = (42, 250)  # the file's lines (the header is line 1) with a bad email
CHUNK = 60
FILES_PER_OBJECT = 4
CRASH_MESSAGE = "Flow run marked as crashed due to missing heartbeats."
ZOMBIE_AUTOMATION_NAME = "crash zombie flow runs"


@dataclass(frozen=True)
class Target:
    """One object of the sandbox the nightly run loads, and how (a source of its config)."""

    prefix: str
    hub: str
    object: str
    key: str  # the sandbox field holding each row's email
    source: dict[str, Any]


TARGETS = (
    # an upsert by email: a chunk whose upload was cut off is simply sent again
    Target(
        "contacts",
        "helpdesk",
        "Contact",
        "Email",
        {
            "mapping": str(MAPPINGS / "helpdesk_contact.yaml"),
            "operation": "upsert",
            "external_id": "Email",
        },
    ),
    # inserts: a chunk in doubt is looked up at the target by its match key
    Target(
        "leads",
        "helpdesk",
        "Lead",
        "Email",
        {"mapping": str(MAPPINGS / "helpdesk_lead.yaml"), "match_key": "Email"},
    ),
    Target(
        "marketing",
        "marketing",
        "contact",
        "C_EmailAddress",
        {"mapping": str(MAPPINGS / "marketing_contact.yaml"), "match_key": "C_EmailAddress"},
    ),
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """PostgreSQL, the Prefect server on it, the pool, deployments and automation: once."""
    with prefect_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(params=["shared-folder", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SharedStorage]:
    """The workers' shared storage: a folder all of them reach, or S3 (moto on loopback)."""
    if request.param == "shared-folder":
        yield SharedStorage(str(tmp_path / "shared-storage"))
        return
    with s3_endpoint() as s3:
        # The endpoint through HUBLOAD_STORAGE_OPTIONS, the credentials through AWS's chain.
        env = {k: v for k, v in s3.env.items() if k != "AWS_ENDPOINT_URL"}
        yield SharedStorage(s3.url("hubload"), {"endpoint_url": s3.endpoint_url}, env)


@pytest.fixture
def sandbox(tmp_path: Path, cluster: Cluster) -> Iterator[RunningSandbox]:
    """A sandbox whose jobs take a second to start (so that a load is caught with jobs in
    flight), saved as the ``hubload-target`` block the deployments name."""
    config = SandboxConfig(
        db_path=tmp_path / "sandbox" / "crm.db", processing_delay_ms=1000, workers=12
    )
    running = start_sandbox(config)
    save_target_block(running)
    try:
        yield running
    finally:
        running.stop()


def test_nightly_over_three_workers_survives_a_dead_worker(
    cluster: Cluster,
    storage: SharedStorage,
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, expected = write_inbox(tmp_path / "inbox")
    config = write_config(tmp_path / "nightly.yaml", inbox)
    # Three flow runs at most per worker: the nightly run and six loads spread over all three.
    kind = "s3" if storage.url.startswith("s3:") else "folder"
    ledger_url = cluster.database(f"ledger_{kind}")
    with cluster.workers(
        3, ledger_url=ledger_url, storage=storage, limit=3, prefix=f"{kind}-worker"
    ) as workers:
        # The first night: a worker dies while one of its loads has a job at the target.
        first = run_deployment_like_the_ui(
            "nightly/nightly", {"config": str(config), "target_block": "hubload-target"}
        )
        kill = kill_a_worker_mid_load(cluster, first, sandbox)
        killed = kill.runs
        night = final_state(first, timeout=420, log=cluster.server_log)
        loads = child_runs(first)
        dead = [run for run in loads if run.id in killed]
        survivors = [w for w in workers if w is not kill.worker]
        for run in dead:  # the automation, not a person, ended the dead worker's runs
            assert run.state is not None and run.state.type.value == "CRASHED", run.state
            assert run.state.message == CRASH_MESSAGE
        for run in loads:
            if run.id not in killed:  # and it left the finished ones alone
                assert run.state_name == "Partially loaded", (run.name, run.state)
        dead_files = {file_of(run) for run in dead}
        assert night.state.is_failed(), night.state
        assert night.state.message.endswith(f"{len(dead_files)} failed"), night.state.message
        table = {row["file"]: row for row in table_artifact(first, "nightly-files")}
        assert sorted(table) == sorted(expected)  # all twelve, in one table
        for name, row in table.items():
            if name in dead_files:
                assert row["outcome"] == "failed" and "Crashed" in row["detail"], row
            else:
                assert row["outcome"] == "partial", row
                assert int(row["succeeded"]) == ROWS - len(BAD_LINES), row
        assert sorted(p.name for p in inbox.glob("*.csv")) == sorted(dead_files)

        # The next night takes the dead runs up (same run ids) on the workers still alive.
        second = run_deployment_like_the_ui(
            "nightly/nightly", {"config": str(config), "target_block": "hubload-target"}
        )
        night = final_state(second, timeout=300, log=survivors[0].log)
        assert night.state.is_completed(), night.state
        retaken = child_runs(second)
        assert sorted(file_of(run) for run in retaken) == sorted(dead_files)
        assert {run.parameters["run_id"] for run in retaken} == {
            run.parameters["run_id"] for run in dead
        }
        for run in retaken:
            assert run.state_name == "Partially loaded", run.state
            assert cluster.submitted_by(run.id) in survivors
        table = {row["file"]: row for row in table_artifact(second, "nightly-files")}
        assert sorted(table) == sorted(dead_files)
        assert {row["outcome"] for row in table.values()} == {"partial"}
        all_loads = [*loads, *retaken]

    # Every file archived, every valid row loaded once, nothing else.
    assert not list(inbox.glob("*.csv"))
    assert sorted(p.name for p in (inbox / "archive").glob("*.csv")) == sorted(expected)
    for target in TARGETS:
        keys = [r[target.key] for r in sandbox.store.records(target.hub, target.object)]
        wanted = {
            key for name, ks in expected.items() if name.startswith(target.prefix) for key in ks
        }
        assert len(keys) == len(wanted), f"{target.object}: {len(keys)} records, {len(wanted)} rows"
        assert set(keys) == wanted
    with Ledger(ledger_url) as book:
        runs = {r.run_id: r for r in book.runs(limit=100)}
    assert len(runs) == len(expected)
    for record in runs.values():
        assert record.status.value == "partial", record
        assert (record.read, record.succeeded, record.rejected, record.failed) == (
            ROWS,
            ROWS - len(BAD_LINES),
            len(BAD_LINES),
            0,
        )
        assert record.run_dir.startswith(storage.url), record.run_dir  # not a worker's disk

    assert_one_object_at_a_time(sandbox)
    assert_objects_overlap(all_loads)
    # The uploads the dead worker had in flight were polled by the next night, not sent again
    # (an insert's; an upsert's chunk whose job id was not recorded yet may be sent again).
    uploads = [j.path for j in jobs(sandbox) if j.kind == "upload"]
    for job in kill.jobs_in_flight:
        if job.operation.value == "insert":
            assert uploads.count(job.path) == 1, f"{job.path} was uploaded again"

    # The automation acted on the dead worker's runs alone, and never failed to: a run that
    # ended in a state of hubload's own name (Partially loaded) did not look dead to it.
    # (The server is shared by this module's cases: only this case's runs count.)
    ours = {run.id for run in all_loads}
    acted = {how: runs & ours for how, runs in zombie_actions(cluster.api_url).items()}
    assert {how: runs for how, runs in acted.items() if runs} == {"executed": killed}

    # Reports, from the shared storage alone: the workers' disks are gone.
    for worker in workers:
        shutil.rmtree(worker.root)
    for name, value in storage.env.items():  # this process reaches S3 as the workers do
        monkeypatch.setenv(name, value)
    taken_up = sorted(run.parameters["run_id"] for run in dead)[0]
    assert_reports_readable(runs, taken_up, storage, ledger_url, tmp_path / "reader")


# The inbox ------------------------------------------------------------------------------------


def write_inbox(inbox: Path) -> tuple[Path, dict[str, set[str]]]:
    """Four files per object, each row's email unique across all of them; the emails of the
    rows that must load, by file name."""
    inbox.mkdir()
    expected: dict[str, set[str]] = {}
    for target in TARGETS:
        for number in range(1, FILES_PER_OBJECT + 1):
            name = f"{target.prefix}_{number}.csv"
            keys: set[str] = set()
            with (inbox / name).open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(HEADER)
                for line in range(2, ROWS + 2):
                    email = f"{target.prefix}{number}.row{line}@example.com"
                    if line in BAD_LINES:
                        email = f"{target.prefix}{number}.row{line}.example.com"  # no @
                    else:
                        keys.add(email)
                    writer.writerow(
                        [
                            email,
                            f"First{line}",
                            f"Last{number}x{line}",
                            "Design Engineer",
                            f"(555) {line % 1000:03d}-{number:04d}",
                            f"Acme {number}",
                            "http://www.acme.com",
                        ]
                    )
            expected[name] = keys
    return inbox, expected


def write_config(path: Path, inbox: Path) -> Path:
    """The nightly configuration: the three sources, six files in flight."""
    common = {
        "chunk_size": CHUNK,
        "concurrency": 2,
        "settle_seconds": 2,
        "poll_budget_seconds": 300,
    }
    config = {
        "inbox": str(inbox),
        "fan_out": {"deployment": "load/request", "files_in_flight": 6, "wait_hours": 1},
        "sources": [
            {
                "pattern": f"{t.prefix}_*.csv",
                "hub": t.hub,
                "object": t.object,
                **t.source,
                **common,
            }
            for t in TARGETS
        ],
    }
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    return path


# The crash ------------------------------------------------------------------------------------


def child_runs(parent: UUID) -> list[FlowRun]:
    """The flow runs a nightly run made (its files' load runs)."""
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent])
            )
        )


def read_run(run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def file_of(run: FlowRun) -> str:
    """The inbox file a load run loads (its request's file, shared or not, keeps the name)."""
    return str(run.parameters["request"]["file"]).rsplit("/", 1)[-1]


def jobs(sandbox: RunningSandbox) -> list[Job]:
    found = (sandbox.store.job(i) for i in sandbox.store.job_ids())
    return [job for job in found if job is not None]


def run_of(job: Job) -> str:
    """The hubload run an upload job belongs to: its path is ``/<run id>-chunk-NNNNN.csv``."""
    return (job.path or "").lstrip("/").split("-chunk-")[0]


@dataclass(frozen=True)
class Kill:
    """A worker killed in the middle of a load: the flow runs that died with it, and the
    upload jobs they had in flight at the target then."""

    worker: Worker
    runs: set[UUID]
    jobs_in_flight: list[Job]


def kill_a_worker_mid_load(cluster: Cluster, nightly: UUID, sandbox: RunningSandbox) -> Kill:
    """Wait until a load run on a worker that does not run the nightly run itself has an
    upload job in flight at the target (an insert's, if one is), then kill that worker's whole
    tree. It is frozen first and killed only when each of the nightly's runs has left Pending
    (a run its worker took but had not started would never heartbeat, so no automation could
    end it) and each of its own runs has run long enough to have sent a heartbeat."""
    deadline = time.monotonic() + 300
    seen: list[str] = []
    inserts = {t.object for t in TARGETS if t.source.get("operation", "insert") == "insert"}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        home = cluster.worker_of(read_run(nightly))
        runs = sorted(
            child_runs(nightly),
            key=lambda r: r.parameters["request"]["object_name"] not in inserts,
        )
        seen = [
            f"{r.name}: {r.state_name} on {getattr(cluster.worker_of(r), 'name', None)}"
            for r in runs
        ]
        uploading = {
            run_of(j) for j in jobs(sandbox) if j.kind == "upload" and j.finished_ms is None
        }
        for run in runs:
            worker = cluster.worker_of(run)
            busy = run.state_name == "Running" and run.parameters["run_id"] in uploading
            if not busy or worker is None or home is None or worker is home:
                continue
            frozen = worker.freeze()
            runs = child_runs(nightly)
            hosted = {r.id: r for r in runs if pid_of(r) in frozen}
            settled = all(
                r.state_name != "Pending" and (r.state_name != "Running" or r.infrastructure_pid)
                for r in runs
            ) and all(started_before(r, seconds=3) for r in hosted.values())
            if settled and run.id in hosted:
                ids = {r.parameters["run_id"] for r in hosted.values()}
                in_flight = [
                    j
                    for j in jobs(sandbox)
                    if j.kind == "upload" and j.finished_ms is None and run_of(j) in ids
                ]
                worker.kill()
                return Kill(worker, set(hosted), in_flight)
            worker.thaw()
            break
    raise AssertionError(
        "no load was caught with a job in flight on a worker to kill; the nightly's runs: "
        + "; ".join(seen)
    )


def pid_of(run: FlowRun) -> int | None:
    """The pid of the process a worker started for the run (``infrastructure_pid``)."""
    if not run.infrastructure_pid:
        return None
    return int(run.infrastructure_pid.rsplit(":", 1)[-1])


def zombie_actions(api_url: str) -> dict[str, set[UUID]]:
    """The flow runs the zombie-run automation acted on, by how its action went (``executed``
    or ``failed``), from the server's events."""
    body = {"filter": {"event": {"prefix": ["prefect.automation.action."]}}, "limit": 50}
    answer = httpx.post(f"{api_url}/events/filter", json=body, timeout=30)
    answer.raise_for_status()
    page = answer.json()
    events = list(page["events"])
    while page.get("next_page"):  # 50 to a page, the most the server gives
        answer = httpx.get(page["next_page"], timeout=30)
        answer.raise_for_status()
        page = answer.json()
        events += page["events"]
    acted: dict[str, set[UUID]] = {}
    for event in events:
        outcome = event["event"].rsplit(".", 1)[-1]
        if event["resource"].get("prefect.resource.name") != ZOMBIE_AUTOMATION_NAME:
            continue
        if outcome == "triggered":
            continue
        for related in event["related"]:
            if related.get("prefect.resource.role") == "target":
                run = related["prefect.resource.id"].removeprefix("prefect.flow-run.")
                acted.setdefault(outcome, set()).add(UUID(run))
    return acted


def started_before(run: FlowRun, seconds: float) -> bool:
    """Whether ``run`` has been Running for ``seconds`` (its first heartbeat is sent)."""
    state = run.state
    if state is None or state.name != "Running":
        return False
    return state.timestamp < datetime.now(state.timestamp.tzinfo) - timedelta(seconds=seconds)


# What the target saw --------------------------------------------------------------------------


def assert_one_object_at_a_time(sandbox: RunningSandbox) -> None:
    """No two loads of one object had upload jobs in flight at the same time: each job's span
    (created to finished, at the target) never meets a span of another run's job."""
    uploads = [j for j in jobs(sandbox) if j.kind == "upload"]
    assert uploads and all(j.finished_ms is not None for j in uploads)
    objects = {(j.hub, j.object_name) for j in uploads}
    assert len(objects) == len(TARGETS)
    for hub, name in objects:
        spans = sorted(
            (created_ms(j), j.finished_ms or 0, run_of(j))
            for j in uploads
            if (j.hub, j.object_name) == (hub, name)
        )
        assert len({run for _, _, run in spans}) == FILES_PER_OBJECT
        for i, (start, _, run) in enumerate(spans):
            for other_start, other_end, other in spans[:i]:
                assert other == run or other_end <= start, (
                    f"{hub}/{name}: a job of {run} started at {start} while one of {other} "
                    f"was in flight ({other_start}-{other_end})"
                )


def created_ms(job: Job) -> int:
    """When the target created a job, in epoch ms (an Open Connectors job has it only as its
    ``createdDate`` text, to the millisecond)."""
    if job.created_ms:
        return job.created_ms
    return int(datetime.strptime(job.created_date, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def assert_objects_overlap(loads: list[FlowRun]) -> None:
    """Loads of different objects ran at the same time: for each pair of objects, some load
    of one and some load of the other were running together."""
    spans: dict[str, list[tuple[datetime, datetime]]] = {}
    for run in loads:
        if run.start_time is None or run.end_time is None:
            continue
        obj = run.parameters["request"]["object_name"]
        spans.setdefault(obj, []).append((run.start_time, run.end_time))
    assert len(spans) == len(TARGETS)
    names = sorted(spans)
    for i, one in enumerate(names):
        for other in names[i + 1 :]:
            assert any(a0 < b1 and b0 < a1 for a0, a1 in spans[one] for b0, b1 in spans[other]), (
                f"no load of {one} ran while one of {other} did"
            )


# Reports --------------------------------------------------------------------------------------


def assert_reports_readable(
    runs: dict[str, RunRecord], one: str, storage: SharedStorage, ledger_url: str, home: Path
) -> None:
    """Each run's reports from the storage: all of them from this process (the ledger gives
    where), and run ``one``'s through ``hubload report`` in a process that has only the ledger
    and the storage (and an empty home of its own)."""
    options = dict(storage.options)
    for record in runs.values():
        rejected = parse_csv(read_report(record, "rejected", options))
        assert [int(row["line"]) for row in rejected] == list(BAD_LINES), record.run_id
        assert parse_csv(read_report(record, "failed", options)) == []
        summary = json.loads(read_report(record, "summary", options))
        assert summary["read"] == ROWS and summary["rejected"] == len(BAD_LINES), summary
    env = {
        "HUBLOAD_LEDGER_URL": ledger_url,
        "HUBLOAD_HOME": str(home),
        **storage.settings(),
    }
    lines = [int(row["line"]) for row in parse_csv(hubload_report(one, "rejected", env))]
    assert lines == list(BAD_LINES)
    assert parse_csv(hubload_report(one, "failed", env)) == []
    summary = json.loads(hubload_report(one, "summary", env))
    assert summary["succeeded"] == ROWS - len(BAD_LINES)


def hubload_report(run: str, kind: str, settings: dict[str, str]) -> bytes:
    from tests.e2e.cluster import clean_environment  # noqa: PLC0415

    done = subprocess.run(
        [str(BIN / "hubload"), "report", run, kind],
        env=clean_environment(**settings),
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def parse_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
