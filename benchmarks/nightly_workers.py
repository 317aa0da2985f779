"""Benchmark of a nightly run fanned out over 1 worker and over 3: wall time, speed-up, load.

Usage (from the repository root, inside ./run's environment):

    .venv/bin/python benchmarks/nightly_workers.py                 # 12 files x 100k rows, 1 and 3
    .venv/bin/python benchmarks/nightly_workers.py --rows 20000 --runs 1     # a quick look

The cluster is the one of the end-to-end tests (``tests/e2e/cluster.py``): PostgreSQL, a
Prefect server on it, the process pool ``hubload`` and the deployments of
``deployments/prefect.yaml``, and process workers each in its own environment (home, Prefect
home, working directory), sharing the ledger (PostgreSQL) and a storage folder. The target is a
sandbox in this process with no processing delay. Each run is one nightly run, created as the
UI does, loading 12 inbox files of ``--rows`` rows into 3 objects (4 files each: helpdesk
Contact by upsert on Email, helpdesk Lead and marketing contact by insert, as in
``deployments/nightly.yaml``), ``--files-in-flight`` at a time. Each worker runs at most
``--limit`` flow runs at once, by default just enough for the nightly run and its files in
flight spread evenly: ceil((files in flight + 1) / workers), so 7 for one worker and 3 for
three (without a limit, the first worker to poll takes every waiting run). Every run
starts from a fresh sandbox, ledger database and inbox, and is checked: all files archived,
every row in the sandbox once.

The time is from the nightly run's creation to its final state. The 1-minute load average is
sampled every second during each run (its mean and highest value); the machine is shared, so
it is printed before and after too. All workers here share this machine's cores: more workers
add no CPU, only more places for runs to go.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox.config import SandboxConfig  # noqa: E402
from sandbox.server import RunningSandbox, start_sandbox  # noqa: E402
from tests.e2e.cluster import Cluster, SharedStorage, free_port, prefect_cluster  # noqa: E402
from tests.e2e.deploy_support import (  # noqa: E402
    final_state,
    run_deployment_like_the_ui,
    save_target_block,
    table_artifact,
)

HEADER = [
    "C_EmailAddress",
    "C_FirstName",
    "C_LastName",
    "C_Title",
    "C_BusPhone",
    "C_Company",
    "C_Website1",
]
MAPPINGS = REPO / "mappings"
# prefix, hub, object, the source's own settings (those of deployments/nightly.yaml)
SOURCES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "contacts",
        "helpdesk",
        "Contact",
        {
            "mapping": str(MAPPINGS / "helpdesk_contact.yaml"),
            "operation": "upsert",
            "external_id": "Email",
        },
    ),
    ("leads", "helpdesk", "Lead", {"mapping": str(MAPPINGS / "helpdesk_lead.yaml")}),
    ("marketing", "marketing", "contact", {"mapping": str(MAPPINGS / "marketing_contact.yaml")}),
]
FILES_PER_OBJECT = 4


@dataclass(frozen=True)
class Run:
    """One nightly run: its wall time and the 1-minute load average sampled during it."""

    seconds: float
    load_mean: float
    load_max: float


def load_average() -> float:
    return os.getloadavg()[0]


@contextmanager
def sampled_load() -> Iterator[list[float]]:
    """The 1-minute load average, sampled every second while the block runs."""
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(load_average())
            done.wait(1.0)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()


def generate(folder: Path, rows: int, files_per_object: int = FILES_PER_OBJECT) -> None:
    """Files of valid rows (``files_per_object`` per object), each email unique."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, _, _, _ in SOURCES:
        for number in range(1, files_per_object + 1):
            with (folder / f"{prefix}_{number}.csv").open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(HEADER)
                for i in range(rows):
                    writer.writerow(
                        [
                            f"{prefix}{number}.user{i}@example{i % 97}.com",
                            f"First{i}",
                            f"Last{number}x{i}",
                            "Design Engineer",
                            f"(555) {i % 1000:03d}-{i % 10000:04d}",
                            f"Acme {i % 50}",
                            "http://www.acme.com",
                        ]
                    )


def write_config(path: Path, inbox: Path, files_in_flight: int) -> Path:
    config = {
        "inbox": str(inbox),
        "fan_out": {"files_in_flight": files_in_flight, "wait_hours": 2},
        "sources": [
            {"pattern": f"{prefix}_*.csv", "hub": hub, "object": obj, **own}
            for prefix, hub, obj, own in SOURCES
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass(frozen=True)
class Setup:
    """What every run of the benchmark shares."""

    cluster: Cluster
    work: Path
    sandbox_port: int  # one port: the target, and so each object's lock, keep their names
    files_in_flight: int


def one_run(setup: Setup, files: Path, label: str, workers: int, limit: int) -> Run:
    """A nightly run over a fresh copy of ``files`` with ``workers`` fresh workers, a fresh
    sandbox, ledger database and storage folder; checked, then cleaned up."""
    work = setup.work
    inbox = work / f"inbox-{label}"
    shutil.copytree(files, inbox)
    config = write_config(work / f"nightly-{label}.yaml", inbox, setup.files_in_flight)
    ledger = setup.cluster.database(f"ledger_{label.replace('-', '_')}")
    storage = SharedStorage(str(work / f"storage-{label}"))
    db = work / f"sandbox-{label}" / "crm.db"
    sandbox = start_sandbox(
        SandboxConfig(db_path=db, processing_delay_ms=0, workers=4), port=setup.sandbox_port
    )
    try:
        save_target_block(sandbox)
        with (
            setup.cluster.workers(
                workers, ledger_url=ledger, storage=storage, prefix=label, limit=limit
            ),
            sampled_load() as samples,
        ):
            started = time.perf_counter()
            flow_run = run_deployment_like_the_ui(
                "nightly/nightly", {"config": str(config), "target_block": "hubload-target"}
            )
            state = final_state(flow_run, timeout=7200, log=setup.cluster.server_log).state
            seconds = time.perf_counter() - started
        check_loaded(flow_run, state, inbox, files, sandbox)
    finally:
        sandbox.stop()
    for folder in (inbox, db.parent, work / f"storage-{label}"):
        shutil.rmtree(folder, ignore_errors=True)
    for worker in range(1, workers + 1):
        shutil.rmtree(setup.cluster.root / f"{label}-{worker}", ignore_errors=True)
    return Run(seconds, statistics.fmean(samples), max(samples))


def check_loaded(
    flow_run: UUID, state: Any, inbox: Path, files: Path, sandbox: RunningSandbox
) -> None:
    """The nightly run completed, archived every file and loaded every row once.

    Raises:
        SystemExit: it did not (the work folder is kept, with every worker's log).
    """
    if not state.is_completed():
        failed = [
            f"{row['file']}: {row['detail']}"
            for row in table_artifact(flow_run, "nightly-files")
            if row["outcome"] != "loaded"
        ]
        raise SystemExit(
            f"nightly run {flow_run} ended {state.name}: {state.message}\n" + "\n".join(failed)
        )
    left = sorted(p.name for p in inbox.glob("*.csv"))
    if left:
        raise SystemExit(f"files left in the inbox: {left}")
    for prefix, hub, obj, _ in SOURCES:
        rows = sum(
            sum(1 for _ in path.open(encoding="utf-8")) - 1 for path in files.glob(f"{prefix}_*")
        )
        count = sandbox.store.count_records(hub, obj)
        if count != rows:
            raise SystemExit(f"{prefix}: {count} records for {rows} rows")


def configuration(setup: Setup, files: Path, workers: int, args: argparse.Namespace) -> list[Run]:
    """``args.runs`` nightly runs with ``workers`` workers."""
    limit = args.limit or math.ceil((args.files_in_flight + 1) / workers)
    runs = []
    for number in range(args.runs):
        run = one_run(setup, files, f"w{workers}-{number + 1}", workers, limit)
        print(
            f"  {workers} worker(s) (--limit {limit}), run {number + 1}: {run.seconds:.1f} s, "
            f"load average {run.load_mean:.1f} (max {run.load_max:.1f})",
            flush=True,
        )
        runs.append(run)
    return runs


def median_range(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def report(results: dict[int, list[Run]], rows: int) -> None:
    total = rows * FILES_PER_OBJECT * len(SOURCES)
    base = results[min(results)]
    print(
        f"\n{'workers':>7} {'wall s, median (range)':>24} {'rows/s':>8} {'speed-up (range)':>20} "
        f"{'load avg 1-min: mean, max (medians)':>36}"
    )
    for workers, runs in sorted(results.items()):
        seconds = [r.seconds for r in runs]
        base_seconds = [r.seconds for r in base]
        speed = statistics.median(base_seconds) / statistics.median(seconds)
        low, high = min(base_seconds) / max(seconds), max(base_seconds) / min(seconds)
        print(
            f"{workers:>7} {median_range(seconds):>24} {total / statistics.median(seconds):>8.0f} "
            f"{f'{speed:.2f}x ({low:.2f}-{high:.2f})':>20} "
            f"{statistics.median(r.load_mean for r in runs):>27.1f}, "
            f"{statistics.median(r.load_max for r in runs):.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per file (12 files)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files-in-flight", type=int, default=6)
    parser.add_argument(
        "--limit", type=int, default=None, help="flow runs per worker at once [default: even]"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hubload-nightly-bench-"))
    print(f"machine: {os.cpu_count()} cores; load average before: {load_average():.2f}")
    print(
        f"12 files x {args.rows} rows (3 objects), {args.files_in_flight} files in flight, "
        f"worker --limit {args.limit or '(files in flight + 1) / workers'}; "
        f"medians of {args.runs} runs with (min-max)",
        flush=True,
    )
    files, warm = work / "files", work / "warm-up"
    generate(files, args.rows)
    # One small file per object first, not measured: the server, the workers' imports and
    # each object's lock (a global concurrency limit, made by the first load of the object)
    # are ready before the first measured run.
    generate(warm, 1000, files_per_object=1)
    with prefect_cluster(work / "cluster") as cluster:
        setup = Setup(cluster, work, free_port(), args.files_in_flight)
        warm_up = one_run(setup, warm, "warm-up", 1, args.files_in_flight + 1)
        print(f"  warm-up (3 files x 1000 rows, not counted): {warm_up.seconds:.1f} s", flush=True)
        results = {n: configuration(setup, files, n, args) for n in args.workers}
    shutil.rmtree(work, ignore_errors=True)  # kept when a run fails: its logs are there
    report(results, args.rows)
    print(f"load average after: {load_average():.2f}")


if __name__ == "__main__":
    main()
