"""A restart keeps the Salesforce face's jobs and tokens; an older sandbox's database is used
as it is (the columns added since are added)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox import SandboxConfig, start_sandbox
from sandbox.store import records_db_path
from tests.sandbox.conftest import Sf, _api, sf_client
from tests.sandbox.test_sf_auth import client_credentials

OLD_JOBS = """
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY, hub TEXT NOT NULL, object_name TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, created_date TEXT NOT NULL, path TEXT, file TEXT, identifier TEXT,
    serial INTEGER NOT NULL DEFAULT 0, query TEXT, callback_url TEXT,
    records_count INTEGER NOT NULL DEFAULT 0, failed_count INTEGER NOT NULL DEFAULT 0,
    status_message TEXT
);
INSERT INTO jobs (id, hub, object_name, kind, status, created_date, records_count)
VALUES (1001, 'helpdesk', 'Account', 'upload', 'COMPLETED', '2024-05-01T12:00:00.000+0000', 1);
"""
# Account as the first sandbox stored it: no ParentId, no IsDeleted.
OLD_ACCOUNTS = """
CREATE TABLE "rec_helpdesk_Account" ("_seq" INTEGER PRIMARY KEY, "Id" TEXT, "Name" TEXT,
    "Type" TEXT, "Industry" TEXT, "Website" TEXT, "Phone" TEXT, "Fax" TEXT,
    "BillingStreet" TEXT, "BillingCity" TEXT, "BillingState" TEXT, "BillingPostalCode" TEXT,
    "BillingCountry" TEXT, "NumberOfEmployees" TEXT, "AnnualRevenue" TEXT,
    "AccountNumber" TEXT, "Description" TEXT, "CreatedDate" TEXT, "LastModifiedDate" TEXT,
    "External_Id__c" TEXT);
INSERT INTO "rec_helpdesk_Account" ("_seq", "Id", "Name", "External_Id__c")
VALUES (1, '0015g0000000001AAA', 'Old Corp', 'old-1');
"""


def test_a_restart_keeps_jobs_and_tokens(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=tmp_path / "sb.db", processing_delay_ms=60_000)
    with start_sandbox(config) as first, sf_client(first) as http:
        sf = Sf(first, http)
        token = client_credentials(first).json()["access_token"]
        closed = sf.start("Contact", "insert", "LastName\nAfterRestart\n")
        still_open = sf.create("Contact", "insert")["id"]
        assert sf.put(still_open, "LastName\nNotYet\n").status_code == 201
        assert sf.info(closed)["state"] == "UploadComplete"
    again = config.model_copy(update={"processing_delay_ms": 0})
    # A token of the first run is still good.
    with start_sandbox(again) as second, sf_client(second, token) as http:
        sf = Sf(second, http)
        assert sf.wait(closed)["state"] == "JobComplete"
        assert sf.info(still_open)["state"] == "Open"
        assert sf.set_state(still_open, "UploadComplete").status_code == 200
        assert sf.wait(still_open)["numberRecordsProcessed"] == 1
        rows = sf.rows("SELECT LastName FROM Contact")
        assert sorted(r["LastName"] for r in rows) == ["AfterRestart", "NotYet"]


def test_an_older_database_gains_the_new_columns(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    with sqlite3.connect(db_path) as conn:
        conn.executescript(OLD_JOBS)
    with sqlite3.connect(records_db_path(db_path)) as conn:
        conn.executescript(OLD_ACCOUNTS)
    with start_sandbox(SandboxConfig(db_path=db_path)) as sandbox, sf_client(sandbox) as http:
        api, sf = _api(sandbox), Sf(sandbox, http)
        assert api.rows("helpdesk", "select Name, ParentId from Account") == [
            {"Id": "0015g0000000001AAA", "Name": "Old Corp", "ParentId": None}
        ]
        uploads = {"where": "job_direction = 'UPLOAD'"}
        (job,) = api.http.get("/hubs/helpdesk/bulk/jobs", params=uploads).json()
        assert job["id"] == "1001" and job["createdDate"] == 1714564800000
        _, info = sf.ingest("Account", "insert", "Name,Parent.External_Id__c\nChild,old-1\n")
        assert info["numberRecordsFailed"] == 0
        _, info = sf.ingest("Account", "delete", "Id\n0015g0000000001AAA\n")
        assert info["numberRecordsFailed"] == 0
        assert [r["Name"] for r in sf.rows("SELECT Name FROM Account")] == ["Child"]
        api.http.close()
