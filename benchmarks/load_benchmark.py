"""Benchmark of hubload's load: rows/s and peak memory beside the pandas floor, and Prefect's own.

Usage (from the repository root, inside ./run's environment):

    .venv/bin/python benchmarks/load_benchmark.py                  # 100k and 1M rows + small files
    .venv/bin/python benchmarks/load_benchmark.py --rows 200000 2000000   # the memory pair

Each load runs the real flow in a process of its own (so its peak RSS is the loader's alone),
against a sandbox in this process and one `prefect server start` shared by all runs. Every
generated file has a few percent of bad rows (a bad email, a missing last name, a ragged row).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))

from sandbox.config import SandboxConfig  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402

HEADER = ["FirstName", "LastName", "Email", "Title", "Phone", "MailingCity", "Birthdate"]
LOADER = """
import json, resource, sys, time
from flows.load import load
from hubload.errors import PartialLoadError
started = time.perf_counter()
state = load(file=sys.argv[1], object_name="Contact", chunk_size=int(sys.argv[2]),
             concurrency=4, return_state=True)
elapsed = time.perf_counter() - started
result = state.result(raise_on_failure=False)
summary = result.summary if isinstance(result, PartialLoadError) else result
print(json.dumps({"seconds": elapsed, "read": summary.read, "succeeded": summary.succeeded,
                  "rejected": summary.rejected, "failed": summary.failed,
                  "timings": summary.timings,
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
TRIVIAL = """
from prefect import flow, task
@task
def one() -> int:
    return 1
@flow
def trivial() -> int:
    return one()
trivial()
"""


def generate(path: Path, rows: int, bad_share: float = 0.03, seed: int = 7) -> None:
    """A contact file with ``bad_share`` of rows failing a check (email, required, ragged)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            row = [
                f"First{i}",
                f"Last{i}",
                f"user{i}@example{i % 97}.com",
                "Design Engineer",
                f"(555) {i % 1000:03d}-{i % 10000:04d}",
                "Paris",
                f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            ]
            if rng.random() < bad_share:
                kind = rng.randrange(3)
                if kind == 0:
                    row[2] = "not-an-email"
                elif kind == 1:
                    row[1] = ""
                else:
                    row = row[:4]
            writer.writerow(row)


def pandas_floor(path: Path, out: Path) -> dict[str, float]:
    """pandas reading the file as text (pyarrow engine) and writing it back: the floor. (It
    skips the ragged rows that hubload reports: pandas cannot keep them.)"""
    started = time.perf_counter()
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        engine="pyarrow",
        on_bad_lines="skip",
    )
    read = time.perf_counter() - started
    started = time.perf_counter()
    frame.to_csv(out, index=False)
    return {"read": read, "write": time.perf_counter() - started}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_prefect(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("prefect server did not start")


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, cwd=REPO, check=False, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--skip-small", action="store_true", help="skip the small-file pair")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hubload-bench-"))
    server, api = start_prefect(work / "prefect")
    base_env = {
        **os.environ,
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "HUBLOAD_HOME": str(work / "home"),
    }
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    results = []
    try:
        with start_sandbox(SandboxConfig(db_path=work / "sandbox.db")) as sandbox:
            env = {
                **base_env,
                "HUBLOAD_BASE_URL": sandbox.base_url,
                "HUBLOAD_AUTHORIZATION": sandbox.authorization,
            }
            for rows in args.rows:
                path = work / f"contacts_{rows}.csv"
                generate(path, rows)
                floor = pandas_floor(path, work / "floor.csv")
                done = subprocess.run(
                    [sys.executable, "-c", LOADER, str(path), str(args.chunk_size)],
                    env=env,
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise SystemExit(done.stderr[-3000:])
                load = json.loads(done.stdout.strip().splitlines()[-1])
                results.append((rows, path.stat().st_size, floor, load))
            small = None if args.skip_small else small_pair(base_env)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    report(results, small, args.chunk_size)


def small_pair(env: dict[str, str]) -> dict[str, float]:
    """The seed sample from the CLI (embedded sandbox) beside a one-task flow, run the same way:
    against the running server, and in ephemeral mode (no PREFECT_API_URL)."""
    cli = [
        str(BIN / "hubload"),
        "load",
        "samples/seed_contacts.csv",
        "--object",
        "contact",
        "--hub",
        "marketing",
        "--mapping",
        "mappings/marketing_contact.yaml",
        "--json",
    ]
    trivial = [sys.executable, "-c", TRIVIAL]
    ephemeral = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    ephemeral["PREFECT_HOME"] = tempfile.mkdtemp(prefix="hubload-bench-ephemeral-")
    timed(trivial, ephemeral)  # the first ephemeral start creates its database: not measured
    return {
        "cli_server": min(timed(cli, env) for _ in range(3)),
        "trivial_server": min(timed(trivial, env) for _ in range(3)),
        "cli_ephemeral": min(timed(cli, ephemeral) for _ in range(2)),
        "trivial_ephemeral": min(timed(trivial, ephemeral) for _ in range(2)),
    }


def report(
    results: list[tuple[int, int, dict[str, float], dict]],
    small: dict[str, float] | None,
    chunk: int,
) -> None:
    print(
        f"machine: {os.cpu_count()} cores; chunk size {chunk}; loader peak RSS is its own process"
    )
    print(
        f"{'rows':>10} {'MB':>6} {'load s':>7} {'rows/s':>8} {'peak MiB':>8} "
        f"{'pandas read+write s':>20}  outcome (read = ok + rejected + failed), step seconds"
    )
    for rows, size, floor, load in results:
        rate = rows / load["seconds"]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in load["timings"].items())
        print(
            f"{rows:>10} {size / 1e6:>6.0f} {load['seconds']:>7.1f} {rate:>8.0f} "
            f"{load['max_rss_mib']:>8.0f} {floor['read']:>9.2f} + {floor['write']:>5.2f}"
            f"  {load['read']} = {load['succeeded']} + {load['rejected']} + {load['failed']};"
            f" {steps}"
        )
    if small:
        print("small file (the seed's 10 rows), whole command, best of runs:")
        print(
            f"  against a running server: hubload load {small['cli_server']:.1f}s, "
            f"one-task flow {small['trivial_server']:.1f}s"
        )
        print(
            f"  ephemeral API:            hubload load {small['cli_ephemeral']:.1f}s, "
            f"one-task flow {small['trivial_ephemeral']:.1f}s"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark process (sandbox inside) peak RSS {own:.0f} MiB")


if __name__ == "__main__":
    main()
