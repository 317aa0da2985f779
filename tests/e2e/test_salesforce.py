"""The Salesforce target end to end: the real load flow, a real Prefect API, the sandbox's
Salesforce face (OAuth, describe, Bulk API 2.0) over loopback HTTP, and the hubload command."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client

from hubload.errors import AuthError
from hubload.ledger import Ledger
from hubload.summary import Summary
from sandbox.ids import salesforce_ids
from sandbox.jobs import Face
from sandbox.jobs import JobStatus as SandboxState
from sandbox.server import RunningSandbox
from sandbox.sf.tokens import Tokens
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import BIN, REPO, process_env, run_hubload, wait_for
from tests.e2e.helpers import read_report, run_load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
UseSalesforce = Callable[..., Path]
SF_SETTINGS = (
    "HUBLOAD_SF_INSTANCE_URL",
    "HUBLOAD_SF_LOGIN_URL",
    "HUBLOAD_SF_API_VERSION",
    "HUBLOAD_SF_ACCESS_TOKEN",
    "HUBLOAD_SF_CLIENT_ID",
    "HUBLOAD_SF_CLIENT_SECRET",
    "HUBLOAD_SF_REFRESH_TOKEN",
    "HUBLOAD_SF_USERNAME",
    "HUBLOAD_SF_PRIVATE_KEY",
    "HUBLOAD_SF_PRIVATE_KEY_FILE",
    "HUBLOAD_SF_INSTANCE_NAME",
)
OC_SETTINGS = ("HUBLOAD_BASE_URL", "HUBLOAD_AUTHORIZATION", "HUBLOAD_INSTANCE_NAME")


def sf_settings(sandbox: RunningSandbox, **extra: str) -> dict[str, str]:
    """The environment of a Salesforce target: the sandbox's Salesforce face (also the login
    host), client credentials; ``extra`` adds or replaces ``HUBLOAD_SF_<NAME>`` settings."""
    values = {
        "HUBLOAD_TARGET": "salesforce",
        "HUBLOAD_SF_LOGIN_URL": sandbox.salesforce_instance_url,
        "HUBLOAD_SF_INSTANCE_URL": sandbox.salesforce_instance_url,
        "HUBLOAD_SF_CLIENT_ID": sandbox.oauth_client_id,
        "HUBLOAD_SF_CLIENT_SECRET": sandbox.oauth_client_secret,
    }
    values |= {f"HUBLOAD_SF_{name.upper()}": value for name, value in extra.items()}
    return values


@pytest.fixture
def use_salesforce(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> UseSalesforce:
    """Point hubload's settings (the environment) at a sandbox's Salesforce face, with no Open
    Connectors target configured; returns hubload's home. ``extra``: more ``HUBLOAD_SF_*``
    settings, e.g. ``instance_name`` (a name that survives the sandbox's restart on another
    port) or a wrong ``client_secret``."""

    def use(sandbox: RunningSandbox, **extra: str) -> Path:
        home = tmp_path / "home"
        for name in (*SF_SETTINGS, *OC_SETTINGS):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HUBLOAD_HOME", str(home))
        for name, value in sf_settings(sandbox, **extra).items():
            monkeypatch.setenv(name, value)
        return home

    return use


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def records(sandbox: RunningSandbox, object_name: str = "Contact") -> dict[str, dict[str, Any]]:
    """The org's records by id (deleted ones too: ``IsDeleted`` says)."""
    return {str(r["Id"]): r for r in sandbox.store.records("helpdesk", object_name)}


def sf_jobs(sandbox: RunningSandbox) -> list[tuple[SandboxState, int]]:
    """Every ingest job of the Salesforce face: its state and how many records it processed."""
    found = []
    for number in sandbox.store.job_ids():
        job = sandbox.store.job(number)
        assert job is not None
        if job.face is Face.SALESFORCE and job.kind == "upload":
            found.append((job.status, job.records_count))
    return found


def lines(report: list[dict[str, str]]) -> list[int]:
    return [int(r["line"]) for r in report]


def reconciles(summary: Summary) -> bool:
    counted = summary.succeeded + summary.rejected + summary.failed
    return bool(summary.reconciles) and counted == summary.read


def test_insert_upsert_update_delete_through_the_salesforce_face(
    start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    """Each step's records checked in the org; every report's ids are the org's, in the order
    of the file's lines; the org's refusals are in failed.csv with its error codes."""
    sandbox = start_sb()
    use_salesforce(sandbox)
    unknown = salesforce_ids("003", 9999, 1)[0]  # a well-formed Contact id no record has

    # insert: two jobs (chunks of 4 staged rows), a row rejected before sending, a row the org
    # refuses (a duplicate external id, within one job), quotes, commas, line breaks, accents
    inserted = write(
        tmp_path / "insert.csv",
        "LastName,FirstName,External_Id__c,Email,Description\n"
        "Last0,First0,k0,u0@x.com,plain\n"  # line 2
        'Müller,Jürgen,k1,u1@x.com,"says ""hi"", twice"\n'  # 3
        ",NoLast,k8,n@x.com,x\n"  # 4: rejected (LastName required)
        "Dup,Twin,k0,d@x.com,x\n"  # 5: refused by the org (k0 is line 2's)
        'Last3,First3,k3,u3@x.com,"two\nlines"\n'  # 6-7
        "Last4,First4,k4,u4@x.com,x\n"  # 8
        "Last5,First5,k5,u5@x.com,x\n",  # 9
    )
    state, summary = run_load(inserted, "Contact", chunk_size=4)
    assert isinstance(summary, Summary), summary
    assert state.name == "Partially loaded" and summary.target_kind == "salesforce"
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (7, 5, 1, 1)
    assert reconciles(summary) and len(summary.jobs) == 2
    assert all(j.status == "JobComplete" for j in summary.jobs)
    with get_client(sync_client=True) as client:  # named for the org, not a hub
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.name == f"{inserted.name} -> Contact"
    success = read_report(summary, "success")
    assert lines(success) == [2, 3, 6, 8, 9]
    org = records(sandbox)
    assert len(org) == 5 and set(org) == {r["id"] for r in success}
    for row in success:
        stored = org[row["id"]]
        assert row["created"] == "true" and stored["IsDeleted"] == "false"
        for field in ("LastName", "FirstName", "External_Id__c", "Email", "Description"):
            assert stored[field] == row[field], (field, row)
    assert org[success[1]["id"]]["Description"] == 'says "hi", twice'
    assert org[success[2]["id"]]["Description"] == "two\nlines"
    (refused,) = read_report(summary, "failed")
    assert (refused["line"], refused["LastName"]) == ("5", "Dup")
    assert refused["error"].startswith("DUPLICATE_VALUE:")
    assert success[0]["id"] in refused["error"]  # the record holding k0
    (rejected,) = read_report(summary, "rejected")
    assert rejected["line"] == "4" and rejected["reason"] == "LastName: required, but empty"
    ids = {r["External_Id__c"]: r["id"] for r in success}

    # upsert by the external id: two records updated, one created; a key twice in the file is
    # rejected before sending
    _, summary = run_load(
        write(
            tmp_path / "upsert.csv",
            "External_Id__c,FirstName,LastName\n"
            "k0,Zero,Last0\nk7,Seven,Last7\nK1,Jürg,Müller\nk0,Again,Last0\n",
        ),
        "Contact",
        operation="upsert",
        external_id="External_Id__c",
    )
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (4, 3, 1, 0)
    assert reconciles(summary)
    success = read_report(summary, "success")
    assert lines(success) == [2, 3, 4]
    assert [r["created"] for r in success] == ["false", "true", "false"]
    assert (success[0]["id"], success[2]["id"]) == (ids["k0"], ids["k1"])  # K1 matches k1
    assert success[1]["id"] not in ids.values()
    assert read_report(summary, "rejected")[0]["line"] == "5"
    org = records(sandbox)
    assert len(org) == 6
    assert (org[ids["k0"]]["FirstName"], org[ids["k1"]]["FirstName"]) == ("Zero", "Jürg")
    assert org[ids["k0"]]["Email"] == "u0@x.com"  # not in the file: left as it was
    assert (org[success[1]["id"]]["LastName"], org[success[1]["id"]]["External_Id__c"]) == (
        "Last7",
        "k7",
    )

    # update by Id, with the ids the insert's success.csv gave
    _, summary = run_load(
        write(
            tmp_path / "update.csv",
            f"Id,Title\n{ids['k0']},Boss\n{unknown},Nobody\n{ids['k3']},Chief\n",
        ),
        "Contact",
        operation="update",
    )
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (3, 2, 0, 1)
    assert reconciles(summary)
    success = read_report(summary, "success")
    assert [(r["line"], r["id"], r["created"]) for r in success] == [
        ("2", ids["k0"], "false"),
        ("4", ids["k3"], "false"),
    ]
    (refused,) = read_report(summary, "failed")
    assert refused["line"] == "3" and refused["Id"] == unknown
    assert refused["error"].startswith("INVALID_CROSS_REFERENCE_KEY:")
    org = records(sandbox)
    assert {i: r["Title"] for i, r in org.items() if r["Title"]} == {
        ids["k0"]: "Boss",
        ids["k3"]: "Chief",
    }

    # delete: an Id column only; success.csv lists the ids removed (to the recycle bin)
    _, summary = run_load(
        write(tmp_path / "delete.csv", f"Id\n{ids['k4']}\n{unknown}\n{ids['k5']}\n"),
        "Contact",
        operation="delete",
    )
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (3, 2, 0, 1)
    assert reconciles(summary)
    success = read_report(summary, "success")
    assert [(r["line"], r["id"], r["Id"]) for r in success] == [
        ("2", ids["k4"], ids["k4"]),
        ("4", ids["k5"], ids["k5"]),
    ]
    (refused,) = read_report(summary, "failed")
    assert refused["line"] == "3" and refused["error"].startswith("INVALID_CROSS_REFERENCE_KEY:")
    org = records(sandbox)
    deleted = {i for i, r in org.items() if r["IsDeleted"] == "true"}
    assert deleted == {ids["k4"], ids["k5"]} and len(org) == 6


def test_hard_delete_and_a_parent_by_its_external_id(
    start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_salesforce(sandbox)
    _, accounts = run_load(
        write(tmp_path / "accounts.csv", "Name,External_Id__c\nAcme,acc1\nGlobex,acc2\n"),
        "Account",
    )
    assert accounts.succeeded == 2
    account = {r["External_Id__c"]: r["id"] for r in read_report(accounts, "success")}
    assert set(account.values()) == set(records(sandbox, "Account"))

    # Salesforce's header form for a parent: Relationship.ExternalIdField
    mapping = write(
        tmp_path / "lookup.yaml",
        "fields:\n  LastName: LastName\n  Account.External_Id__c: Account.External_Id__c\n",
    )
    _, summary = run_load(
        write(
            tmp_path / "contacts.csv",
            "LastName,Account.External_Id__c\nAnn,acc1\nBob,ACC2\nCid,nope\nDee,\n",
        ),
        "Contact",
        mapping=str(mapping),
    )
    assert (summary.read, summary.succeeded, summary.rejected, summary.failed) == (4, 3, 0, 1)
    assert reconciles(summary)
    success = read_report(summary, "success")
    assert lines(success) == [2, 3, 5]
    org = records(sandbox)
    assert [org[r["id"]]["AccountId"] for r in success] == [account["acc1"], account["acc2"], None]
    (refused,) = read_report(summary, "failed")
    assert refused["line"] == "4" and refused["error"].startswith("INVALID_FIELD:")
    assert "Foreign key external ID: nope not found" in refused["error"]

    # hardDelete: purged, not in the recycle bin; an id already purged is refused
    ann, bob, dee = (r["id"] for r in success)
    _, summary = run_load(
        write(tmp_path / "purge.csv", f"Id\n{ann}\n{bob}\n"), "Contact", operation="hardDelete"
    )
    assert (summary.succeeded, summary.failed) == (2, 0) and reconciles(summary)
    assert [(r["line"], r["id"]) for r in read_report(summary, "success")] == [
        ("2", ann),
        ("3", bob),
    ]
    assert set(records(sandbox)) == {dee}
    _, summary = run_load(
        write(tmp_path / "again.csv", f"Id\n{ann}\n"), "Contact", operation="hardDelete"
    )
    assert (summary.succeeded, summary.failed) == (0, 1)
    assert read_report(summary, "failed")[0]["error"].startswith("INVALID_CROSS_REFERENCE_KEY:")
    assert set(records(sandbox)) == {dee}


def test_a_parent_column_maps_itself_without_a_mapping_file(
    start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_salesforce(sandbox)
    run_load(write(tmp_path / "a.csv", "Name,External_Id__c\nAcme,acc1\n"), "Account")
    _, summary = run_load(
        write(tmp_path / "c.csv", "LastName,Account.External_Id__c\nAnn,acc1\n"), "Contact"
    )
    assert summary.unmapped_columns == []
    (contact,) = records(sandbox).values()
    assert contact["AccountId"] == next(iter(records(sandbox, "Account")))


def test_a_lost_upload_answer_is_settled_by_its_job_and_never_loads_twice(
    start_sb: SandboxFactory,
    use_salesforce: UseSalesforce,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Half the answers to ``PUT .../batches`` and to the close are lost (the call took
    effect). A lost upload answer: that job is aborted (nothing of it loads) and the chunk goes
    into a new job; a lost close answer: the job, read by its id, was closed, and is polled, not
    sent again. Every row loads once."""
    sandbox = start_sb(lost_response_rate=0.5, seed=2)
    use_salesforce(sandbox)
    path = write(
        tmp_path / "contacts.csv",
        "LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(40)),
    )
    with caplog.at_level(logging.WARNING, "hubload"):
        state, summary = run_load(path, "Contact", chunk_size=10, concurrency=1)
    assert isinstance(summary, Summary) and state.is_completed(), summary
    assert (summary.read, summary.succeeded, summary.failed) == (40, 40, 0) and reconciles(summary)
    lost_uploads = caplog.text.count("upload failed: PUT ")
    lost_closes = caplog.text.count("the answer to its close was lost")
    assert lost_uploads >= 1 and lost_closes >= 1, "the seed no longer loses both kinds"
    jobs = sf_jobs(sandbox)
    assert sorted(jobs) == sorted(
        [(SandboxState.COMPLETED, 10)] * 4 + [(SandboxState.CANCELLED, 0)] * lost_uploads
    )
    assert len({j.job_id for j in summary.jobs}) == 4
    emails = [r["Email"] for r in records(sandbox).values()]
    assert len(emails) == 40 and len(set(emails)) == 40
    success = read_report(summary, "success")
    assert lines(success) == list(range(2, 42))
    assert {r["id"] for r in success} == set(records(sandbox))


def test_an_access_token_expiring_mid_run_is_renewed(
    start_sb: SandboxFactory,
    use_salesforce: UseSalesforce,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tokens live half a second; jobs take longer. The org refuses the expired token (401), the
    load gets a new one (once for all its threads) and goes on: nothing resent, nothing lost."""
    logins: list[float] = []
    issue = Tokens.issue

    def counted(self: Tokens, grant: Any) -> str:
        logins.append(time.monotonic())
        return issue(self, grant)

    monkeypatch.setattr(Tokens, "issue", counted)
    ttl = 0.5
    sandbox = start_sb(token_ttl_seconds=ttl, processing_delay_ms=600)
    use_salesforce(sandbox)
    path = write(
        tmp_path / "contacts.csv",
        "LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(40)),
    )
    started = time.monotonic()
    state, summary = run_load(path, "Contact", chunk_size=10, concurrency=2)
    took = time.monotonic() - started
    assert isinstance(summary, Summary) and state.is_completed(), summary
    assert (summary.succeeded, summary.failed) == (40, 0) and reconciles(summary)
    assert took > 2 * ttl  # long enough for the first token to expire with calls still to make
    assert len(logins) >= 2, "the token was never renewed"
    assert len(logins) <= 2 + took / ttl  # one renewal per expiry, not one per thread or call
    assert sorted(sf_jobs(sandbox)) == [(SandboxState.COMPLETED, 10)] * 4
    emails = [r["Email"] for r in records(sandbox).values()]
    assert len(emails) == 40 and len(set(emails)) == 40


def sf_env(home: Path, sandbox: RunningSandbox, prefect_api: str, **extra: str) -> dict[str, str]:
    """A hubload process's environment: the sandbox's Salesforce face, a private home."""
    return process_env(home, PREFECT_API_URL=prefect_api, **sf_settings(sandbox, **extra))


def oc_env(home: Path, sandbox: RunningSandbox, prefect_api: str) -> dict[str, str]:
    """A hubload process's environment: the sandbox's Open Connectors face, a private home."""
    return process_env(
        home,
        PREFECT_API_URL=prefect_api,
        HUBLOAD_BASE_URL=sandbox.base_url,
        HUBLOAD_AUTHORIZATION=sandbox.authorization,
    )


def failure_of(state: Any) -> str:
    """The error a failed flow run ended with (through the runs it ran)."""
    from prefect import State  # noqa: PLC0415 - Prefect, only where flows run

    result = state.result(raise_on_failure=False)
    while isinstance(result, State):
        result = result.result(raise_on_failure=False)
    return str(result)


def kill_a_load(sandbox: RunningSandbox, env: dict[str, str], tmp_path: Path) -> None:
    """Start a load (3 chunks, one at a time) and kill it (SIGKILL, its whole process group)
    as soon as its first job exists."""
    path = write(
        tmp_path / "contacts.csv",
        "LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(30)),
    )
    args = [str(BIN / "hubload"), "load", str(path), "--object", "Contact"]
    load = subprocess.Popen(
        [*args, "--chunk-size", "10", "--concurrency", "1"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: sf_jobs(sandbox), 120, "the first job", None)
    finally:
        os.killpg(load.pid, signal.SIGKILL)
        load.wait()


def test_resume_refuses_another_target_unless_forced(
    prefect_api: str, start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    """A run killed while loading into one org is not taken up by another target: not by the
    same sandbox's Open Connectors face (the CLI), not by another org (the resume flow, as the
    UI runs it); each says so in one line and sends nothing. ``--force`` sends the rows it had
    not sent to the target configured now."""
    from flows.resume import resume  # noqa: PLC0415 - Prefect, only where flows run

    first = start_sb(processing_delay_ms=1500)
    home = use_salesforce(first)
    kill_a_load(first, sf_env(home, first, prefect_api), tmp_path)
    (run,) = Ledger.from_settings().runs()
    assert run.status == "running" and run.target.startswith("salesforce ")
    sent = len(sf_jobs(first))
    assert 1 <= sent < 3

    refused = run_hubload(["resume", run.run_id], oc_env(home, first, prefect_api))
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    assert "Traceback" not in refused.stderr
    message = refused.stderr.strip().splitlines()[-1]  # (see the one-line test below)
    assert message.startswith("error: ")
    assert f"run {run.run_id} loaded into salesforce {first.salesforce_instance_url}" in message
    assert f"configured now is open-connectors {first.base_url}" in message
    assert "--force" in message
    assert first.store.count_jobs() == sent  # nothing sent through either face

    other = start_sb()
    assert use_salesforce(other) == home
    state: Any = resume(run=run.run_id, return_state=True)
    said = failure_of(state)
    assert state.is_failed() and "--force" in said and "\n" not in said
    assert f"configured now is salesforce {other.salesforce_instance_url}" in said
    assert other.store.count_jobs() == 0

    forced = run_hubload(
        ["resume", run.run_id, "--force", "--json"], sf_env(home, other, prefect_api)
    )
    assert forced.returncode in (0, 1), forced.stderr
    assert "configured now is" not in forced.stderr
    # The chunks never sent went to the org configured now; the one sent before is not resent.
    assert sorted(sf_jobs(other)) == [(SandboxState.COMPLETED, 10)] * (3 - sent)
    assert first.store.count_jobs() == sent


def test_a_resume_refused_for_its_target_is_one_line_and_no_flow_run(
    prefect_api: str, start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    from prefect import get_client  # noqa: PLC0415 - Prefect, only where flows run

    stuck = start_sb(stuck_job_rate=1.0)
    home = use_salesforce(stuck)
    path = write(tmp_path / "c.csv", "LastName\nA\n")
    _, summary = run_load(path, "Contact", poll_budget_seconds=0.5)
    assert read_report(summary, "failed")[0]["error"].startswith("JOB_TIMEOUT")  # resumable
    with get_client(sync_client=True) as client:
        before = len(client.read_flow_runs())
    refused = run_hubload(["resume", summary.run_id], oc_env(home, stuck, prefect_api))
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith(f"error: run {summary.run_id} loaded into salesforce ")
    with get_client(sync_client=True) as client:
        assert len(client.read_flow_runs()) == before


def test_the_cli_loads_through_the_salesforce_face(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb()
    env = sf_env(tmp_path / "home", sandbox, prefect_api)
    path = write(tmp_path / "clean.csv", "LastName,Email\nSmith,s@x.com\nJones,j@x.com\n")
    done = run_hubload(
        ["load", str(path), "--object", "Contact", "--target", "salesforce", "--json"], env
    )
    assert done.returncode == 0, done.stderr
    assert "embedded sandbox" not in done.stderr
    data = json.loads(done.stdout)
    assert (data["read"], data["succeeded"], data["reconciles"]) == (2, 2, True)
    assert data["target"] == f"salesforce {sandbox.salesforce_instance_url}"
    with Path(data["reports"]["success"]).open(encoding="utf-8") as stream:
        ids = [line.split(",")[1] for line in stream.read().splitlines()[1:]]
    assert set(ids) == set(records(sandbox)) and len(ids) == 2
    status = run_hubload(["status", data["jobs"][0]["job_id"], "--target", "salesforce"], env)
    assert status.returncode == 0 and "JobComplete" in status.stdout, status.stderr


def test_the_embedded_sandbox_serves_the_salesforce_face(prefect_api: str, tmp_path: Path) -> None:
    """Nothing configured: ``--target salesforce`` starts the embedded sandbox's Salesforce face
    (a username and key of the JWT flow, left without a client id, do not get in its way); its
    data stay for the next command."""
    env = process_env(
        tmp_path / "home",
        PREFECT_API_URL=prefect_api,
        HUBLOAD_SF_USERNAME="someone@acme.com",
        HUBLOAD_SF_PRIVATE_KEY="not a key",
    )
    path = write(tmp_path / "clean.csv", "LastName,Email\nSmith,s@x.com\n")
    done = run_hubload(
        ["load", str(path), "--object", "Contact", "--target", "salesforce", "--json"], env
    )
    assert done.returncode == 0, done.stderr
    assert "no salesforce target configured: using the embedded sandbox" in " ".join(
        done.stderr.split()
    )
    data = json.loads(done.stdout)
    assert data["succeeded"] == 1 and data["target"] == "salesforce embedded-sandbox"
    job_id = data["jobs"][0]["job_id"]
    assert job_id.startswith("750")  # a Bulk API 2.0 job, not an Open Connectors one
    status = run_hubload(["status", job_id], {**env, "HUBLOAD_TARGET": "salesforce"})
    assert status.returncode == 0 and "JobComplete" in status.stdout, status.stderr


@pytest.mark.parametrize(
    ("settings", "args", "message"),
    [
        (
            {"client_secret": "not-the-secret"},
            [],
            "invalid_client: Salesforce refused the login (client-credentials at http://",
        ),
        (
            {"access_token": "not-a-token", "client_id": "", "client_secret": ""},
            [],
            "the Salesforce access token was refused (expired or revoked) and cannot be renewed",
        ),
        ({}, ["--object", "Spaceship"], "Spaceship"),
        ({}, ["--operation", "update"], "the key 'Id' of this operation must be a mapped field"),
    ],
    ids=["wrong-secret", "bad-token", "unknown-object", "update-without-id"],
)
def test_bad_credentials_or_input_exit_2_in_one_line_and_send_nothing(
    prefect_api: str,
    start_sb: SandboxFactory,
    tmp_path: Path,
    settings: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    sandbox = start_sb()
    env = sf_env(tmp_path / "home", sandbox, prefect_api, **settings)
    env = {k: v for k, v in env.items() if v}
    path = write(tmp_path / "c.csv", "LastName,Email\nSmith,s@x.com\n")
    base = ["load", str(path), "--target", "salesforce"]
    done = run_hubload(
        [*base, *(args if "--object" in args else ["--object", "Contact", *args])], env
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    text = " ".join(done.stderr.split())
    assert message in text and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("error:") and done.stdout == ""
    assert sandbox.store.count_jobs() == 0


def test_a_wrong_secret_fails_the_flow_before_anything_is_sent(
    start_sb: SandboxFactory, use_salesforce: UseSalesforce, tmp_path: Path
) -> None:
    sandbox = start_sb()
    use_salesforce(sandbox, client_secret="not-the-secret")
    state, error = run_load(write(tmp_path / "c.csv", "LastName\nA\n"), "Contact")
    assert state.is_failed() and isinstance(error, AuthError)
    assert error.code == "invalid_client" and "\n" not in str(error)
    assert sandbox.store.count_jobs() == 0
