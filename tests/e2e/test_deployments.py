"""Deployments served by `hubload serve`: runs created through the API as the UI does, the nightly
schedule and inbox, and a UI-style retry of a crashed run that must not submit a chunk twice."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.states import Scheduled

from hubload.ledger import Ledger
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import (
    BIN,
    background,
    counts,
    deployment_id,
    final_state,
    process_env,
    run_deployment_like_the_ui,
    save_target_block,
    table_artifact,
    wait_for,
)
from tests.e2e.helpers import MAPPINGS, SEED

pytestmark = [pytest.mark.slow]
LEADS_HEADER = "C_EmailAddress,C_FirstName,C_LastName,C_Title,C_BusPhone,C_Company,C_Website1\n"


@dataclass
class Served:
    sandbox: RunningSandbox
    inbox: Path
    home: Path
    log: Path


def _served_by_us(name: str, since_ids: dict[str, object]) -> bool:
    ident = deployment_id(name)
    if ident is None:
        return False
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
    return (
        deployment.work_pool_name is None
        and deployment.updated is not None
        and (since_ids.get(name) != deployment.updated)
    )


@pytest.fixture
def served(prefect_api: str, start_sb: SandboxFactory, tmp_path: Path) -> Iterator[Served]:
    sandbox = start_sb(processing_delay_ms=0)
    save_target_block(sandbox)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "nightly.yaml"
    marketing, lead = MAPPINGS / "marketing_contact.yaml", MAPPINGS / "helpdesk_lead.yaml"
    config.write_text(
        f"inbox: {inbox}\nschedule: {{cron: '0 2 * * *', timezone: Europe/Berlin}}\nsources:\n"
        f"  - {{pattern: 'marketing_*.csv', hub: marketing, object: contact, "
        f"mapping: {marketing}}}\n"
        f"  - {{pattern: 'leads_*.csv', hub: helpdesk, object: Lead, mapping: {lead}}}\n"
    )
    home = tmp_path / "home"
    env = process_env(home, PREFECT_LOCAL_STORAGE_PATH=str(tmp_path / "results"))
    log = tmp_path / "serve.log"
    before: dict[str, object] = {}
    for name in ("load/load", "nightly/nightly"):
        if deployment_id(name):
            with get_client(sync_client=True) as client:
                before[name] = client.read_deployment_by_name(name).updated
    args = [
        str(BIN / "hubload"),
        "serve",
        "--nightly-config",
        str(config),
        "--target-block",
        "hubload-target",
    ]
    with background(args, env, log):
        wait_for(
            lambda: all(_served_by_us(n, before) for n in ("load/load", "nightly/nightly")),
            120,
            "hubload serve to register its deployments",
            log,
        )
        yield Served(sandbox, inbox, home, log)


def test_load_run_from_the_api_with_parameters(served: Served) -> None:
    run_id = run_deployment_like_the_ui(
        "load/load",
        {
            "file": str(SEED),
            "object_name": "contact",
            "hub": "marketing",
            "mapping": str(MAPPINGS / "marketing_contact.yaml"),
        },
    )
    run = final_state(run_id, log=served.log)
    assert run.state.name == "Partially loaded", served.log.read_text()[-3000:]
    assert run.name == "seed_contacts.csv -> marketing/contact"
    assert {"hub:marketing", "object:contact"} <= set(run.tags)
    assert counts(run_id) == {"read": 10, "succeeded": 9, "rejected": 1, "failed": 0}
    assert served.sandbox.store.count_records("marketing", "contact") == 9


def test_load_form_fields_are_typed(served: Served) -> None:
    with get_client(sync_client=True) as client:
        schema = client.read_deployment_by_name("load/load").parameter_openapi_schema
    props = schema["properties"]
    lists = {tuple(choice.get("enum", [])) for choice in props["object_name"]["anyOf"]}
    assert ("Contact", "Account", "Lead", "Case") in lists and () in lists  # and free text
    assert props["operation"]["enum"] == ["insert", "upsert", "update", "delete", "hardDelete"]
    assert props["target"]["enum"] == ["configured", "open-connectors", "salesforce"]
    # Every parameter has a line of description and a title (the two groups are named after
    # their parameter and their own model's title); the internal ones are not there.
    assert all(p.get("description") for p in props.values()), props
    assert all(p.get("title") or "$ref" in p for p in props.values()), props
    assert schema["definitions"]["FileDetails"]["title"] == "The file's details"
    assert not {"run_id", "parent_run"} & set(props)
    advanced = schema["definitions"]["Advanced"]["properties"]
    chunk = advanced["chunk_size"]
    assert (chunk["minimum"], chunk["maximum"], chunk["title"]) == (1, 1_000_000, "Rows per job")
    assert (advanced["concurrency"]["minimum"], advanced["concurrency"]["maximum"]) == (1, 16)
    # No optional field needs a "none" switch: an empty text is "not given".
    fields = [*props.values(), *advanced.values()]
    fields += schema["definitions"]["FileDetails"]["properties"].values()
    assert not [f for f in fields if {"type": "null"} in f.get("anyOf", [])]
    assert "target_block" in props and "password" not in str(schema).lower()


def test_nightly_schedule_inbox_and_no_second_load(served: Served) -> None:
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("nightly/nightly")
    (schedule,) = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Europe/Berlin")
    assert deployment.global_concurrency_limit is not None
    assert deployment.global_concurrency_limit.limit == 1

    shutil.copy(SEED, served.inbox / "marketing_seed.csv")
    (served.inbox / "leads_week.csv").write_text(LEADS_HEADER + "a@x.com,Al,Lee,,,Acme,\n")
    first = final_state(run_deployment_like_the_ui("nightly/nightly", {}), log=served.log)
    assert first.state.is_completed(), first.state.message
    assert sorted(p.name for p in (served.inbox / "archive").iterdir()) == [
        "leads_week.csv",
        "marketing_seed.csv",
    ]
    assert not list(served.inbox.glob("*.csv"))
    # Each file was its own run of the load/request deployment, under the nightly run.
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[first.id])
            )
        )
        request = client.read_deployment_by_name("load/request")
    assert sorted(c.name for c in children) == [
        "leads_week.csv -> helpdesk/Lead",
        "marketing_seed.csv -> marketing/contact",
    ]
    assert {c.deployment_id for c in children} == {request.id}
    # The seed has one bad row: its run ends "Partially loaded", which the nightly run counts
    # as loaded (the row is in its run's rejected report), not as a failed file.
    assert {c.name: c.state_name for c in children} == {
        "leads_week.csv -> helpdesk/Lead": "Completed",
        "marketing_seed.csv -> marketing/contact": "Partially loaded",
    }
    jobs = served.sandbox.store.count_jobs()
    assert jobs == 2 and served.sandbox.store.count_records("helpdesk", "Lead") == 1

    # The same content arrives again under another name: it is not loaded twice.
    shutil.copy(SEED, served.inbox / "marketing_again.csv")
    second = final_state(run_deployment_like_the_ui("nightly/nightly", {}), log=served.log)
    assert second.state.is_completed()
    assert served.sandbox.store.count_jobs() == jobs
    assert {r["outcome"] for r in table_artifact(second.id, "nightly-files")} == {"skipped"}

    # A file that cannot be read goes to failed/ and the run says so; the others still load.
    (served.inbox / "marketing_broken.csv").write_bytes(b"\x00\x01\x02binary")
    (served.inbox / "leads_next.csv").write_text(LEADS_HEADER + "b@x.com,Bo,Kim,,,Beta,\n")
    third = final_state(run_deployment_like_the_ui("nightly/nightly", {}), log=served.log)
    assert third.state.is_failed() and "1 failed" in (third.state.message or "")
    assert (served.inbox / "failed" / "marketing_broken.csv").exists()
    assert served.sandbox.store.count_records("helpdesk", "Lead") == 2


def _pid_of(flow_run_id: object) -> int:
    """The process running the flow run: the runner starts it with PREFECT__FLOW_RUN_ID set."""
    marker = f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode()

    def find() -> int | None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0"):
                return int(entry.name)
        return None

    return int(wait_for(find, 60, "the flow run's process"))


@pytest.fixture
def slow_sandbox_served(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> Iterator[Served]:
    sandbox = start_sb(processing_delay_ms=1500)
    save_target_block(sandbox)
    config = tmp_path / "nightly.yaml"
    config.write_text(f"inbox: {tmp_path}\nsources: [{{pattern: none, object: Contact}}]\n")
    home = tmp_path / "home"
    env = process_env(home, PREFECT_LOCAL_STORAGE_PATH=str(tmp_path / "results"))
    log = tmp_path / "serve.log"
    args = [
        str(BIN / "hubload"),
        "serve",
        "--nightly-config",
        str(config),
        "--target-block",
        "hubload-target",
    ]
    with background(args, env, log):
        wait_for(lambda: _served_by_us("load/load", {}), 120, "deployments", log)
        yield Served(sandbox, tmp_path, home, log)


def test_ui_retry_of_a_crashed_run_reuses_submitted_chunks(
    slow_sandbox_served: Served, tmp_path: Path
) -> None:
    served = slow_sandbox_served
    path = tmp_path / "contacts.csv"
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(30)))
    run_id = run_deployment_like_the_ui(
        "load/load",
        {
            "file": str(path),
            "object_name": "Contact",
            "advanced": {"chunk_size": 10, "concurrency": 1},
        },
    )
    pid = _pid_of(run_id)
    wait_for(
        lambda: served.sandbox.store.count_jobs() >= 1, 120, "the first chunk's job", served.log
    )
    os.kill(pid, signal.SIGKILL)  # the run dies while its first job is still being processed

    def crashed() -> bool:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run_id).state
        return bool(state and state.is_final())

    wait_for(crashed, 60, "the killed run to be marked crashed", served.log)
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).state.is_crashed()
        # What the UI's Retry button does.
        client.set_flow_run_state(run_id, Scheduled(name="AwaitingRetry"), force=True)
    run = final_state(run_id, log=served.log)
    assert run.state.is_completed(), served.log.read_text()[-3000:]
    assert run.run_count >= 2
    assert served.sandbox.store.count_jobs() == 3  # chunk 1 was not uploaded again
    assert served.sandbox.store.count_records("helpdesk", "Contact") == 30
    assert counts(run_id)["succeeded"] == 30


def test_ui_retry_after_a_kill_during_staging_sends_each_chunk_once(
    slow_sandbox_served: Served, tmp_path: Path
) -> None:
    """The run dies while its file is still being staged and its first chunks are already at
    the target (the pipeline); the UI's Retry stages the file again and sends only the rest."""
    served = slow_sandbox_served
    path = tmp_path / "contacts.csv"
    rows = 600_000
    path.write_text("LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(rows)))
    run_id = run_deployment_like_the_ui(
        "load/load",
        {
            "file": str(path),
            "object_name": "Contact",
            "advanced": {"chunk_size": 30_000, "concurrency": 4},
        },
    )
    pid = _pid_of(run_id)
    deadline = time.monotonic() + 120
    while served.sandbox.store.count_jobs() < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    book = Ledger(f"sqlite:///{served.home / 'ledger.db'}")
    (run,) = book.runs()
    staged = len(book.chunks(run.run_id))
    assert 1 <= staged < rows // 30_000, f"{staged} chunks staged: the kill came after staging"

    def crashed() -> bool:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run_id).state
        return bool(state and state.is_final())

    wait_for(crashed, 60, "the killed run to be marked crashed", served.log)
    sent = served.sandbox.store.count_jobs()
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Scheduled(name="AwaitingRetry"), force=True)
    done = final_state(run_id, log=served.log)
    assert done.state.is_completed(), served.log.read_text()[-3000:]
    assert served.sandbox.store.count_jobs() == rows // 30_000 and sent >= 1
    assert served.sandbox.store.count_records("helpdesk", "Contact") == rows
