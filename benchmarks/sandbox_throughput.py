"""Records per second of the sandbox's processing, run directly and over HTTP.

    .venv/bin/python benchmarks/sandbox_throughput.py [--rows 200000] [--bad-share 0.03]

Generates a 7-column marketing contact file (the seed page's columns) with a few % bad rows,
then times (1) the processor alone on a fresh database, up to its COMMIT, (2) an upload through
a real sandbox on loopback, from the start of the upload until the job reads COMPLETED. Neither
counts the WAL checkpoint a worker runs after that (the first prints its duration).
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


def main() -> None:
    """Parse the flags, build the file, print both figures."""
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
        for name, run in (("direct", run_direct), ("http", run_http)):
            elapsed, records, failed = run(path, workdir)
            rate = records / elapsed
            print(
                f"{name:>6}: {records} records ({failed} failed) in {elapsed:.2f} s "
                f"= {rate:,.0f} records/s"
            )


if __name__ == "__main__":
    main()
