"""Benchmark of hubload's preparation alone (pre-pass, read, map, validate, stage) beside pandas.

Usage (from the repository root):

    .venv/bin/python benchmarks/prepare_benchmark.py                       # 100k, 200k, 1M, 2M
    .venv/bin/python benchmarks/prepare_benchmark.py --rows 100000 --runs 1

Each measurement runs in a fresh process of its own, started from this small parent, and reads
its own peak memory (``VmHWM`` of ``/proc/self/status``) before it exits: a child's
``ru_maxrss`` would inherit the parent's high-water mark. The generated contact files are those
of ``load_benchmark.py`` (7 columns; 3% bad rows: a bad email, a missing last name, a ragged
row), made here by the same logic. pandas' floor is its pyarrow engine reading every column as
text, then ``to_csv``. Figures are medians of ``--runs`` runs with their range; the machine's
load average is printed before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADER = ["FirstName", "LastName", "Email", "Title", "Phone", "MailingCity", "Birthdate"]

PREPARE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from benchmarks.prepare_benchmark import contact_spec, peak_mib
from hubload.csvfile import CsvSource, detect_dialect
from hubload.staging import prepare
from schemas.mapping import resolve
path, run_dir, chunk = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
with CsvSource(path, detect_dialect(path)) as source:
    mapping = resolve(None, contact_spec(), source.header)
    result = prepare(source, mapping, chunk, run_dir)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mib": peak_mib(), "read": result.read,
                  "rejected": result.rejected, "staged": result.staged_rows,
                  "chunks": len(result.chunks), "timings": result.timings}))
"""
FLOOR = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
import pandas as pd
from benchmarks.prepare_benchmark import peak_mib
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, na_values=[""],
                    engine="pyarrow", on_bad_lines="skip")
read = time.perf_counter() - started
frame.to_csv(sys.argv[2], index=False)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "read": read, "peak_mib": peak_mib()}))
"""


def contact_spec() -> object:
    """The benchmark's Contact: the 7 columns, a required last name, an email, a phone, a date."""
    from schemas.catalog import FieldSpec, ObjectSpec  # noqa: PLC0415 - only in the workers

    return ObjectSpec.of(
        "Contact",
        [
            FieldSpec("FirstName", length=40),
            FieldSpec("LastName", required=True, length=80),
            FieldSpec("Email", native_type="email", length=80),
            FieldSpec("Title", length=128),
            FieldSpec("Phone", native_type="phone", length=40),
            FieldSpec("MailingCity", length=40),
            FieldSpec("Birthdate", native_type="date", type="date"),
        ],
    )


def peak_mib() -> float:
    """This process's own peak resident memory (``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def generate(path: Path, rows: int, bad_share: float = 0.03, seed: int = 7) -> None:
    """A contact file with ``bad_share`` of rows failing a check (email, required, ragged): the
    logic of ``load_benchmark.generate``."""
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


def run_child(script: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args, str(REPO)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def spread(values: list[float]) -> str:
    """Median and range: ``1.23 (1.20-1.31)``."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[100_000, 200_000, 1_000_000, 2_000_000]
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--no-floor", action="store_true", help="skip pandas' floor")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hubload-prepare-bench-"))
    print(f"machine: {os.cpu_count()} cores; load average before: {load_average()}")
    print(f"chunk size {args.chunk_size}; medians of {args.runs} with (min-max); peak = VmHWM")
    try:
        for rows in args.rows:
            path = work / f"contacts_{rows}.csv"
            generate(path, rows)
            prepared, floors = [], []
            for run in range(args.runs):
                run_dir = work / f"run-{rows}-{run}"
                prepared.append(run_child(PREPARE, str(path), str(run_dir), str(args.chunk_size)))
                shutil.rmtree(run_dir, ignore_errors=True)
                if not args.no_floor:
                    floors.append(run_child(FLOOR, str(path), str(work / "floor.csv")))
            report(rows, path.stat().st_size, prepared, floors)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {load_average()}")


def report(
    rows: int, size: int, prepared: list[dict[str, object]], floors: list[dict[str, object]]
) -> None:
    def values(runs: list[dict[str, object]], key: str) -> list[float]:
        return [float(r[key]) for r in runs]  # type: ignore[arg-type]

    def step(name: str) -> list[float]:
        return [float(r["timings"].get(name, 0.0)) for r in prepared]  # type: ignore[attr-defined]

    first = prepared[0]
    print(
        f"{rows:>9} rows, {size / 1e6:.0f} MB: read {first['read']}, staged {first['staged']} "
        f"in {first['chunks']} chunks, rejected {first['rejected']}"
    )
    print(f"    prepare s    {spread(values(prepared, 'seconds'))}")
    steps = sorted({k for r in prepared for k in r["timings"]})  # type: ignore[attr-defined]
    print("    steps s      " + ", ".join(f"{k} {spread(step(k))}" for k in steps))
    print(f"    peak MiB     {spread(values(prepared, 'peak_mib'))}")
    if floors:
        peak = spread(values(floors, "peak_mib"))
        print(
            f"    pandas floor {spread(values(floors, 'seconds'))} s "
            f"(read {spread(values(floors, 'read'))}), peak {peak} MiB"
        )


if __name__ == "__main__":
    main()
