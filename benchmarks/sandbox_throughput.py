"""Records per second of the sandbox's processing, run directly and over HTTP, on both faces.

    .venv/bin/python benchmarks/sandbox_throughput.py [--rows 200000] [--bad-share 0.03]

Generates a 7-column marketing contact file (the seed page's columns) with a few % bad rows,
then times (1) the processor alone on a fresh database, up to its COMMIT, (2) an upload through
a real sandbox on loopback, from the start of the upload until the job reads COMPLETED. Neither
counts the WAL checkpoint a worker runs after that (the first prints its duration).

Then a 7-column helpdesk Contact file of the same rows, loaded (3) through the Open Connectors
face and (4) through the Salesforce face (create the job, PUT the file, close it, poll until
JobComplete), each into a fresh sandbox; for (4) also the time to read its successfulResults
and failedResults.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

import httpx

from sandbox import SandboxConfig, start_sandbox
from sandbox.catalogue import resolve_object
from sandbox.processor import Faults, process_upload
from sandbox.store import Store

HEADER = [
    "C_EmailAddress",
    "C_FirstName",
    "C_LastName",
    "C_Title",
    "C_BusPhone",
    "C_Company",
    "C_Website1",
]
FIRST = ["Norm", "John", "Ann", "Doug", "Chuck", "Frank", "Melissa", "Penny", "Ron"]
LAST = ["Smith", "Doe", "Taylor", "Ricard", "Jones", "McGavin", "Burgandy"]
TITLES = ["Design Engineer", "Director", "Chief Financial Officer", "New Anchor", ""]


def make_file(path: Path, rows: int, bad_share: float, seed: int = 7) -> int:
    """Write the benchmark file; return how many rows were made bad on purpose."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            row = [
                f"{first.lower()}.{last.lower()}{n}@acme{n % 97}.com",
                first,
                last,
                rng.choice(TITLES),
                f"({rng.randint(200, 999)}) 555-{rng.randint(1000, 9999)}",
                f"Acme {last}",
                f"https://www.acme{n % 97}.com",
            ]
            if rng.random() < bad_share:
                bad += 1
                kind = rng.randrange(3)
                if kind == 0:
                    row[0] = "not-an-email"
                elif kind == 1:
                    row[3] = "T" * 101
                else:
                    row[0] = ""
            writer.writerow(row)
    return bad


CONTACT_HEADER = [
    "Email",
    "FirstName",
    "LastName",
    "Title",
    "Phone",
    "Department",
    "MailingCity",
]


def make_contact_file(source: Path, path: Path) -> None:
    """The marketing file's rows as helpdesk Contacts (the same values, Salesforce's names).

    Its bad rows stay bad: an invalid or empty email (an empty LastName on this object: the
    company column becomes LastName), or a title too long (101 characters fit Salesforce's
    128, so they are lengthened to 129).
    """
    with (
        source.open(encoding="utf-8", newline="") as src,
        path.open("w", encoding="utf-8", newline="") as dest,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dest, lineterminator="\n")  # the Salesforce job says LF
        next(reader)
        writer.writerow(CONTACT_HEADER)
        for email, first, last, title, phone, company, _website in reader:
            longer = "T" * 129 if len(title) > 100 else title
            writer.writerow([email, first, last if email else "", longer, phone, company, "Paris"])


def run_direct(path: Path, workdir: Path) -> tuple[float, int, int]:
    """Time the processor alone, inside one transaction like a worker's."""
    store = Store(workdir / "direct.db")
    spec = resolve_object("marketing", "contact")
    assert spec is not None
    conn = store.records_connection()
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    outcome = process_upload(
        conn,
        spec=spec,
        job_id=1,
        path=path,
        identifier=None,
        now="2024-01-01T00:00:00.000+0000",
        faults=Faults(),
        should_stop=lambda: False,
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    # A worker runs the WAL checkpoint once the job reads COMPLETED: shown apart, not counted.
    started = time.perf_counter()
    store.checkpoint_records()
    print(f"        (then the WAL checkpoint: {time.perf_counter() - started:.2f} s)")
    store.close()
    return elapsed, outcome.records, outcome.failed


def run_http(path: Path, workdir: Path) -> tuple[float, int, int]:
    """Time an upload through a real sandbox until the job reads COMPLETED."""
    config = SandboxConfig(db_path=workdir / "http.db")
    with start_sandbox(config) as sandbox:
        headers = {"Authorization": sandbox.authorization}
        with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=120) as client:
            started = time.perf_counter()
            with path.open("rb") as handle:
                answer = client.post(
                    "/hubs/marketing/bulk/contact",
                    params={"path": "/bench.csv"},
                    files={"file": ("bench.csv", handle, "text/csv")},
                )
            answer.raise_for_status()
            uploaded = time.perf_counter() - started
            job_id = answer.json()["id"]
            while True:
                status = client.get(f"/hubs/marketing/bulk/{job_id}/status").json()
                if status["status"] not in ("CREATED", "RUNNING"):
                    break
                time.sleep(0.1)  # a brisk client; real ones poll every few seconds
            elapsed = time.perf_counter() - started
    if status["status"] != "COMPLETED":
        raise SystemExit(f"the job ended {status}")
    print(f"        (upload answered after {uploaded:.2f} s)")
    return elapsed, status["recordsCount"], status["recordsFailedCount"]


def run_oc_contacts(path: Path, workdir: Path) -> tuple[float, int, int]:
    """Time the Contact file through the Open Connectors face until COMPLETED."""
    with start_sandbox(SandboxConfig(db_path=workdir / "oc.db")) as sandbox:
        headers = {"Authorization": sandbox.authorization}
        with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=120) as client:
            started = time.perf_counter()
            with path.open("rb") as handle:
                answer = client.post(
                    "/hubs/helpdesk/bulk/Contact",
                    params={"path": "/bench.csv"},
                    files={"file": ("bench.csv", handle, "text/csv")},
                )
            answer.raise_for_status()
            job_id = answer.json()["id"]
            while True:
                status = client.get(f"/hubs/helpdesk/bulk/{job_id}/status").json()
                if status["status"] not in ("CREATED", "RUNNING"):
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
    if status["status"] != "COMPLETED":
        raise SystemExit(f"the job ended {status}")
    return elapsed, status["recordsCount"], status["recordsFailedCount"]


def run_salesforce(path: Path, workdir: Path) -> tuple[float, int, int]:
    """Time the Contact file through the Salesforce face until JobComplete, then its results."""
    with start_sandbox(SandboxConfig(db_path=workdir / "sf.db")) as sandbox:
        base = f"{sandbox.salesforce_instance_url}/services/data/v62.0/jobs/ingest"
        headers = {"Authorization": f"Bearer {sandbox.salesforce_token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            started = time.perf_counter()
            job = client.post("", json={"object": "Contact", "operation": "insert"})
            job.raise_for_status()
            job_id = job.json()["id"]
            with path.open("rb") as handle:
                put = client.put(
                    f"/{job_id}/batches",
                    content=handle,
                    headers={"Content-Type": "text/csv; charset=UTF-8"},
                )
            if put.status_code != 201:
                raise SystemExit(f"the upload was answered {put.status_code}: {put.text}")
            uploaded = time.perf_counter() - started
            client.patch(f"/{job_id}", json={"state": "UploadComplete"}).raise_for_status()
            while (info := client.get(f"/{job_id}").json())["state"] in (
                "UploadComplete",
                "InProgress",
            ):
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            if info["state"] != "JobComplete":
                raise SystemExit(f"the job ended {info}")
            print(f"        (upload answered 201 after {uploaded:.2f} s)")
            for kind in ("successfulResults", "failedResults"):
                started = time.perf_counter()
                lines = 0
                with client.stream("GET", f"/{job_id}/{kind}") as answer:
                    for chunk in answer.iter_bytes():
                        lines += chunk.count(b"\n")
                took = time.perf_counter() - started
                print(f"        ({kind}: {lines - 1} rows in {took:.2f} s)")
    return elapsed, info["numberRecordsProcessed"], info["numberRecordsFailed"]


def main() -> None:
    """Parse the flags, build the files, print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--bad-share", type=float, default=0.03)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "contacts.csv"
        bad = make_file(path, args.rows, args.bad_share)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.rows} rows, {bad} bad on purpose, {size_mb:.1f} MB")
        contacts = workdir / "helpdesk-contacts.csv"
        make_contact_file(path, contacts)
        runs = (
            ("direct", run_direct, path),
            ("http", run_http, path),
            ("oc Contact", run_oc_contacts, contacts),
            ("sf Contact", run_salesforce, contacts),
        )
        for name, run, source in runs:
            elapsed, records, failed = run(source, workdir)
            rate = records / elapsed
            print(
                f"{name:>10}: {records} records ({failed} failed) in {elapsed:.2f} s "
                f"= {rate:,.0f} records/s"
            )


if __name__ == "__main__":
    main()
