"""The Salesforce target against the sandbox's Salesforce face over loopback HTTP: the grants,
renewal of an expired token, settling by job id, lost answers, failed jobs, look-ups by key."""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from hubload.errors import AuthError, RetriableError
from hubload.http import RetryPolicy
from hubload.jobs import JobState, JobStatus, PollPolicy, wait_for_job
from hubload.operations import Operation
from hubload.targets.base import Attempt, Upload, Verdict
from hubload.targets.salesforce import SalesforceConfig, SalesforceTarget
from hubload.targets.salesforce import target as salesforce_target
from hubload.targets.salesforce.auth import jwt_audience
from sandbox.jobs import Face
from sandbox.jobs import JobStatus as SandboxState
from sandbox.server import RunningSandbox
from sandbox.sf.jobinfo import sf_job_id
from sandbox.sf.tokens import Tokens
from tests.conftest import SandboxFactory

QUICK = PollPolicy(budget=30, initial_interval=0.02, max_interval=0.2)
INSERT = Operation.of("insert", None)


def target_for(sandbox: RunningSandbox, **config: Any) -> SalesforceTarget:
    """The sandbox's Salesforce face as a ``Target`` (client credentials unless told)."""
    settings: dict[str, Any] = {
        "instance_url": sandbox.salesforce_instance_url,
        "login_url": sandbox.salesforce_instance_url,
        "client_id": sandbox.oauth_client_id,
        "client_secret": SecretStr(sandbox.oauth_client_secret),
        **config,
    }
    return SalesforceTarget(
        SalesforceConfig.model_validate(settings), retry=RetryPolicy(base_delay=0.02)
    )


def upload(tmp_path: Path, text: str, name: str = "chunk.csv") -> Upload:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Upload(path=path, name=name, rows=text.count("\n") - 1)


def finish(target: SalesforceTarget, job_id: str) -> JobStatus:
    return wait_for_job(lambda: target.status(job_id), job_id, QUICK)


def sandbox_state(sandbox: RunningSandbox, job_id: str) -> SandboxState:
    """The job's state as the sandbox stores it."""
    for number in sandbox.store.job_ids():
        job = sandbox.store.job(number)
        if job is not None and job.face is Face.SALESFORCE and sf_job_id(job) == job_id:
            return job.status
    raise AssertionError(f"no job {job_id} in the sandbox")


@pytest.fixture
def logins(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The times the sandbox issued an access token (every login of every grant)."""
    issued: list[float] = []
    original = Tokens.issue

    def counting(self: Tokens, grant: Any) -> str:
        issued.append(time.monotonic())
        return original(self, grant)

    monkeypatch.setattr(Tokens, "issue", counting)
    return issued


def test_every_grant_logs_in_and_a_revoked_refresh_token_is_one_clear_error(
    start_sb: SandboxFactory, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    sandbox = start_sb(jwt_public_key=public.decode())
    grants: dict[str, dict[str, Any]] = {
        "client-credentials": {},
        "refresh-token": {"refresh_token": SecretStr(sandbox.refresh_token)},
        "jwt-bearer": {
            "client_secret": None,
            "username": sandbox.salesforce_username,
            "private_key": SecretStr(private.decode()),
        },
        "access-token": {
            "client_id": None,
            "client_secret": None,
            "access_token": SecretStr(sandbox.salesforce_token),
        },
    }
    for grant, settings in grants.items():
        with target_for(sandbox, **settings) as sf:
            assert sf.config.grant.value == grant
            assert "Contact" in sf.list_objects()

    revoked = start_sb(refresh_token_revoked=True)
    with (
        target_for(revoked, refresh_token=SecretStr(revoked.refresh_token)) as sf,
        pytest.raises(AuthError) as refused,
    ):
        sf.describe("Contact")
    text = str(refused.value)
    assert "refused the login (refresh-token at http://" in text and "\n" not in text
    assert text.count("invalid_grant") == 1 and revoked.refresh_token not in text


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://acme--uat.my.salesforce.com", "https://test.salesforce.com"),
        ("https://cs42.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.mil", "https://login.salesforce.mil"),
        ("https://acme.my.site.com/customers", "https://acme.my.site.com/customers"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
    ],
)
def test_the_jwt_audience_is_a_login_host_never_a_my_domain(login_url: str, audience: str) -> None:
    """Salesforce takes only its login hosts (or a site's URL) as a JWT's ``aud``."""
    assert jwt_audience(login_url) == audience


def test_a_wrong_secret_is_one_line_naming_the_grant_and_the_login_host(
    start_sb: SandboxFactory,
) -> None:
    sandbox = start_sb()
    with (
        target_for(sandbox, client_secret=SecretStr("not-the-secret")) as sf,
        pytest.raises(AuthError) as refused,
    ):
        sf.list_objects()
    text = str(refused.value)
    assert text == (
        "HTTP 400: invalid_client: Salesforce refused the login (client-credentials at "
        f"{sandbox.salesforce_instance_url}): invalid client credentials"
    )
    assert sandbox.store.count_jobs() == 0


def test_an_expired_token_is_renewed_once_for_every_thread_that_saw_it_refused(
    start_sb: SandboxFactory, logins: list[float]
) -> None:
    sandbox = start_sb(token_ttl_seconds=0.5)
    with target_for(sandbox) as sf:
        first = sf.api.tokens.current()
        assert len(logins) == 1
        time.sleep(0.6)  # expired now: the next calls are refused (401) and renew it
        with ThreadPoolExecutor(8) as pool:
            described = list(pool.map(lambda _: sf.describe("Contact").name, range(8)))
        assert described == ["Contact"] * 8
        assert len(logins) == 2  # one renewal, not one per thread
        assert sf.api.tokens.current() != first


def test_a_lost_upload_answer_aborts_the_job_and_the_chunk_may_be_sent_again(
    start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(lost_response_rate=1.0)
    created: list[str] = []
    chunk = upload(tmp_path, "LastName,Email\nA,a@x.com\nB,b@x.com\n")
    with target_for(sandbox) as sf:
        with pytest.raises(RetriableError) as lost:
            sf.submit("Contact", chunk, INSERT, on_created=created.append)
        assert not lost.value.outcome_unknown  # safe to send again: nothing of it will load
        (job_id,) = created
        assert sf.status(job_id).raw_status == "Aborted"
        settled = sf.settle("Contact", Attempt(upload=chunk, started_at=None, job_id=job_id))
    assert settled.verdict is Verdict.ABSENT
    assert sandbox_state(sandbox, job_id) is SandboxState.CANCELLED
    assert sandbox.store.count_records("helpdesk", "Contact") == 0


def _seed_losing_only_the_close(rate: float) -> int:
    """A seed whose first draw keeps the upload's answer and whose second loses the close's
    (the sandbox draws once for each, from ``random.Random(seed)``)."""
    for seed in range(1000):
        draws = random.Random(seed)
        if draws.random() >= rate and draws.random() < rate:
            return seed
    raise AssertionError("no such seed")


def test_a_lost_close_answer_is_settled_by_reading_the_job_not_by_sending_again(
    start_sb: SandboxFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = start_sb(lost_response_rate=0.5, seed=_seed_losing_only_the_close(0.5))
    chunk = upload(tmp_path, "LastName,Email\nA,a@x.com\nB,b@x.com\n")
    with (
        caplog.at_level(logging.WARNING, "hubload.targets.salesforce"),
        target_for(sandbox) as sf,
    ):
        job = sf.submit("Contact", chunk, INSERT)
        final = finish(sf, job.job_id)
    assert "the answer to its close was lost" in caplog.text
    assert final.state is JobState.COMPLETED and final.records_count == 2
    assert sandbox.store.count_jobs() == 1
    assert sandbox.store.count_records("helpdesk", "Contact") == 2


def test_settling_by_the_recorded_job_id(start_sb: SandboxFactory, tmp_path: Path) -> None:
    """A crash after the job was created: an Open job (data or not) is aborted and the chunk is
    absent; a closed job is the upload's job; no job id means no job could have loaded."""
    sandbox = start_sb()
    chunk = upload(tmp_path, "LastName\nA\n")
    with target_for(sandbox) as sf:
        nothing = sf.settle("Contact", Attempt(upload=chunk, started_at=None))
        assert nothing.verdict is Verdict.ABSENT

        opened = sf.ingest.create("Contact", INSERT).job_id
        sf.ingest.upload(opened, chunk.path)  # its data arrived, its close never did
        absent = sf.settle("Contact", Attempt(upload=chunk, started_at=None, job_id=opened))
        assert absent.verdict is Verdict.ABSENT and "aborted" in absent.why
        assert sf.status(opened).raw_status == "Aborted"
        again = sf.settle("Contact", Attempt(upload=chunk, started_at=None, job_id=opened))
        assert again.verdict is Verdict.ABSENT  # aborted before processing: still nothing

        closed = sf.submit("Contact", chunk, INSERT).job_id
        found = sf.settle("Contact", Attempt(upload=chunk, started_at=None, job_id=closed))
        assert found.verdict is Verdict.JOB and found.job is not None
        assert found.job.job_id == closed
        assert finish(sf, closed).records_count == 1
    assert sandbox.store.count_records("helpdesk", "Contact") == 1


def test_a_job_id_not_recorded_leaves_no_open_job(start_sb: SandboxFactory, tmp_path: Path) -> None:
    """The ledger could not record the job id: the job is aborted before it could hold data."""
    sandbox = start_sb()

    def ledger_down(job_id: str) -> None:
        raise OSError("disk full")

    with target_for(sandbox) as sf, pytest.raises(OSError, match="disk full"):
        sf.submit("Contact", upload(tmp_path, "LastName\nA\n"), INSERT, on_created=ledger_down)
    (number,) = sandbox.store.job_ids()
    job = sandbox.store.job(number)
    assert job is not None and job.status is SandboxState.CANCELLED and job.file is None


def test_rows_of_a_failed_job_say_why_it_failed(start_sb: SandboxFactory, tmp_path: Path) -> None:
    sandbox = start_sb()
    chunk = upload(tmp_path, "LastName,NoSuchField__c\nA,x\nB,y\n")
    with target_for(sandbox) as sf:
        final = finish(sf, sf.submit("Contact", chunk, INSERT).job_id)
        assert final.state is JobState.ERROR
        rows = list(sf.failed_rows(final))
    assert [r.record["LastName"] for r in rows] == ["A", "B"]
    assert {r.code for r in rows} == {"UNPROCESSED"}
    assert all(
        r.text.endswith(
            "ended Failed before processing this row "
            "(InvalidBatch : Field name not found : NoSuchField__c)"
        )
        for r in rows
    ), rows[0].text


def test_find_records_counts_the_values_asked_whatever_the_case_the_org_keeps(
    start_sb: SandboxFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SOQL matches strings ignoring case: a record stored as ``Ann@X.com`` is the row asked
    as ``ann@x.com`` (else a lost insert's rows look absent and are loaded twice), and is
    counted once even when spellings of it fall in different queries."""
    monkeypatch.setattr(salesforce_target, "_KEYS_PER_QUERY", 1)  # one key a query
    sandbox = start_sb()
    chunk = upload(tmp_path, "LastName,Email,External_Id__c\nA,Ann@X.com,AbC\nB,o'neil@x.com,k'2\n")
    with target_for(sandbox) as sf:
        finish(sf, sf.submit("Contact", chunk, INSERT).job_id)
        by_email = sf.find_records("Contact", "Email", ["ann@x.com", "O'Neil@x.com", "no@x.com"])
        by_key = sf.find_records("Contact", "External_Id__c", ["abc", "ABC", "k'2", ""])
    assert (by_email["ann@x.com"], by_email["O'Neil@x.com"], by_email["no@x.com"]) == (1, 1, 0)
    assert set(by_email) == {"ann@x.com", "O'Neil@x.com"}
    assert (by_key["abc"], by_key["ABC"], by_key["k'2"]) == (1, 1, 1)
