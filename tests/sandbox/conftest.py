"""Fixtures of the sandbox's own tests: real sandboxes on loopback and a small HTTP helper."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import RunningSandbox, SandboxConfig, start_sandbox

TERMINAL = {"COMPLETED", "COMPLETE", "ERROR", "CANCELLED"}
QUERY_CONTACTS = (
    "LastName,FirstName,Email,Title,Salutation,Birthdate,HasOptedOutOfEmail\n"
    "Smith,Norm,norm@acme.com,Design Engineer,Mr.,1980-01-02,true\n"
    "Doe,John,john@acmepublishing.com,,,,\n"
    "Smith,Ann,ann@acmedata.com,Director,Ms.,,0\n"
    "O'Neil,Penny,penny@acmeeducation.com,Director of Curriculum,Dr.,,\n"
)


@dataclass
class Api:
    """A thin httpx wrapper speaking to one sandbox (no client code of hubload involved)."""

    sandbox: RunningSandbox
    http: httpx.Client

    def upload(
        self,
        hub: str,
        obj: str,
        content: str | bytes,
        *,
        meta: dict[str, Any] | str | None = None,
        callback: str | None = None,
        path: str | None = "/data.csv",
    ) -> httpx.Response:
        files: dict[str, Any] = {"file": ("data.csv", content, "text/csv")}
        if meta is not None:
            files["metaData"] = (None, meta if isinstance(meta, str) else json.dumps(meta))
        headers = {"Elements-Async-Callback-Url": callback} if callback else {}
        params = {"path": path} if path is not None else {}
        return self.http.post(
            f"/hubs/{hub}/bulk/{obj}", params=params, files=files, headers=headers
        )

    def start_job(self, hub: str, obj: str, content: str | bytes, **kw: Any) -> str:
        answer = self.upload(hub, obj, content, **kw)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "CREATED"
        return str(answer.json()["id"])

    def status(self, hub: str, job_id: str) -> dict[str, Any]:
        answer = self.http.get(f"/hubs/{hub}/bulk/{job_id}/status")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def wait(self, hub: str, job_id: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(hub, job_id)
            if status.get("status", status.get("jobStatus")) in TERMINAL:
                return status
            assert time.monotonic() < deadline, f"job {job_id} still {status}"
            time.sleep(0.02)

    def run(
        self, hub: str, obj: str, content: str | bytes, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        job_id = self.start_job(hub, obj, content, **kw)
        return job_id, self.wait(hub, job_id)

    def errors(self, hub: str, job_id: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/hubs/{hub}/bulk/{job_id}/errors", params=params)

    def error_codes(self, hub: str, job_id: str) -> dict[int, str]:
        """record number -> full error string, over all pages."""
        answer = self.errors(hub, job_id, pageSize=2000)
        assert answer.status_code == 200, answer.text
        return {e["recordNumber"]: e["error"] for e in answer.json()}

    def query(self, hub: str, q: str) -> tuple[str, dict[str, Any]]:
        answer = self.http.post(f"/hubs/{hub}/bulk/query", params={"q": q})
        assert answer.status_code == 200, answer.text
        job_id = str(answer.json()["id"])
        return job_id, self.wait(hub, job_id)

    def download(self, hub: str, job_id: str, obj: str, accept: str) -> httpx.Response:
        return self.http.get(f"/hubs/{hub}/bulk/{job_id}/{obj}", headers={"Accept": accept})

    def rows(self, hub: str, q: str) -> list[dict[str, Any]]:
        """Run a query and return its JSON-lines download."""
        job_id, status = self.query(hub, q)
        assert status["status"] == "COMPLETED", status
        obj = q.lower().split(" from ")[1].split()[0]
        answer = self.download(hub, job_id, obj, "application/json")
        assert answer.status_code == 200, answer.text
        return [json.loads(line) for line in answer.text.splitlines() if line]


Starter = Callable[..., Api]


def _api(sandbox: RunningSandbox) -> Api:
    headers = {"Authorization": sandbox.authorization}
    return Api(sandbox, httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30))


@pytest.fixture
def start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starter]:
    """Start sandboxes with given settings (fresh database unless `db_path` is given)."""
    started: list[Api] = []

    def starter(**settings: Any) -> Api:
        settings.setdefault("db_path", tmp_path_factory.mktemp("sandbox") / "sandbox.db")
        api = _api(start_sandbox(SandboxConfig(**settings)))
        started.append(api)
        return api

    yield starter
    for api in started:
        api.http.close()
        api.sandbox.stop()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One default sandbox shared by a test module."""
    db_path: Path = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox:
        shared = _api(sandbox)
        yield shared
        shared.http.close()


@pytest.fixture(scope="module")
def loaded_contacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A sandbox holding exactly the four `QUERY_CONTACTS`, for read-only query tests."""
    db_path: Path = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox:
        loaded = _api(sandbox)
        _, status = loaded.run("helpdesk", "Contact", QUERY_CONTACTS)
        assert status["recordsFailedCount"] == 0
        yield loaded
        loaded.http.close()


SF_VERSION = "62.0"
SF_DONE = {"JobComplete", "Failed", "Aborted"}


@dataclass
class Sf:
    """A thin httpx wrapper speaking to one sandbox's Salesforce face (Bulk API 2.0)."""

    sandbox: RunningSandbox
    http: httpx.Client

    def create(self, obj: str, operation: str, **extra: Any) -> dict[str, Any]:
        answer = self.http.post(
            "jobs/ingest", json={"object": obj, "operation": operation, **extra}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "Open"
        return dict(answer.json())

    def put(
        self, job_id: str, content: str | bytes, content_type: str = "text/csv; charset=UTF-8"
    ) -> httpx.Response:
        return self.http.put(
            f"jobs/ingest/{job_id}/batches", content=content, headers={"Content-Type": content_type}
        )

    def set_state(self, job_id: str, state: str, kind: str = "ingest") -> httpx.Response:
        return self.http.patch(f"jobs/{kind}/{job_id}", json={"state": state})

    def info(self, job_id: str, kind: str = "ingest") -> dict[str, Any]:
        answer = self.http.get(f"jobs/{kind}/{job_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def wait(self, job_id: str, kind: str = "ingest", timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (info := self.info(job_id, kind))["state"] not in SF_DONE:
            assert time.monotonic() < deadline, f"job {job_id} still {info}"
            time.sleep(0.02)
        return info

    def start(self, obj: str, operation: str, content: str | bytes, **extra: Any) -> str:
        """Create, upload and close a job; its id."""
        job_id = str(self.create(obj, operation, **extra)["id"])
        assert self.put(job_id, content).status_code == 201
        closed = self.set_state(job_id, "UploadComplete")
        assert closed.status_code == 200, closed.text
        return job_id

    def ingest(
        self, obj: str, operation: str, content: str | bytes, **extra: Any
    ) -> tuple[str, dict[str, Any]]:
        job_id = self.start(obj, operation, content, **extra)
        return job_id, self.wait(job_id)

    def results(self, job_id: str, kind: str) -> list[dict[str, str]]:
        answer = self.http.get(f"jobs/ingest/{job_id}/{kind}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/csv; charset=UTF-8"
        return list(csv.DictReader(io.StringIO(answer.text)))

    def query(self, soql: str, operation: str = "query") -> tuple[str, dict[str, Any]]:
        answer = self.http.post("jobs/query", json={"operation": operation, "query": soql})
        assert answer.status_code == 200, answer.text
        job_id = str(answer.json()["id"])
        return job_id, self.wait(job_id, "query")

    def rows(self, soql: str, operation: str = "query", page: int = 50_000) -> list[dict[str, str]]:
        """Every row of a query, over all its pages."""
        job_id, info = self.query(soql, operation)
        assert info["state"] == "JobComplete", info
        rows: list[dict[str, str]] = []
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": page}
            if locator:
                params["locator"] = locator
            answer = self.http.get(f"jobs/query/{job_id}/results", params=params)
            assert answer.status_code == 200, answer.text
            page_rows = list(csv.DictReader(io.StringIO(answer.text)))
            assert int(answer.headers["Sforce-NumberOfRecords"]) == len(page_rows)
            rows += page_rows
            locator = answer.headers["Sforce-Locator"]
            if locator == "null":
                return rows


def sf_client(sandbox: RunningSandbox, token: str | None = None) -> httpx.Client:
    """An httpx client of the Salesforce face's `/services/data/vXX.X/` with a bearer token."""
    return httpx.Client(
        base_url=f"{sandbox.salesforce_instance_url}/services/data/v{SF_VERSION}/",
        headers={"Authorization": f"Bearer {token or sandbox.salesforce_token}"},
        timeout=30,
    )


@dataclass
class Faces:
    """Both faces of one sandbox."""

    oc: Api
    sf: Sf


@pytest.fixture(scope="session")
def faces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faces]:
    """One default sandbox shared by the whole session, through both faces (tests use values
    of their own, so that they need not know what others stored)."""
    db_path: Path = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox:
        both = Faces(_api(sandbox), Sf(sandbox, sf_client(sandbox)))
        yield both
        both.oc.http.close()
        both.sf.http.close()


SfStarter = Callable[..., Faces]


@pytest.fixture
def start_sf(start: Starter) -> Iterator[SfStarter]:
    """Start sandboxes with given settings, through both faces."""
    clients: list[httpx.Client] = []

    def starter(**settings: Any) -> Faces:
        api = start(**settings)
        clients.append(sf_client(api.sandbox))
        return Faces(api, Sf(api.sandbox, clients[-1]))

    yield starter
    for client in clients:
        client.close()
