"""hubload's load side by side with its peer and its floors, at several sizes, in one run.

Usage (from the repository root, inside ./run's environment):

    .venv/bin/python benchmarks/load_benchmark.py                    # 100k, 200k, 1M, 2M rows
    .venv/bin/python benchmarks/load_benchmark.py --sizes 100000 --repeat 1 --skip-small
    .venv/bin/python benchmarks/load_benchmark.py --json results.json --data-dir /tmp/bench-data

For each size, each repeat runs, one after the other:

* **hubload**: ``hubload load FILE --object Contact --target open-connectors`` in a process of its
  own (the console script's code, heartbeats off as in the tests), against one
  ``prefect server start`` that this benchmark starts, into the sandbox's Open Connectors face;
  at ``--salesforce-size`` rows also through its Salesforce face (``--target salesforce``);
* **naive flow**: ``benchmarks/naive_flow.py``, the pandas + pandera + httpx flow a user writes in
  an afternoon, against the same server and the same endpoint;
* **target floor**: raw uploads of the rows that should load, as ready CSV chunks grouped as
  hubload groups them, ``--concurrency`` at a time, each polled to COMPLETED (at
  ``--salesforce-size`` also as Bulk API 2.0 jobs);
* **pandas floor**: pandas reading the file (pyarrow engine, all text) and writing it back.

Every measure is a process started from this small parent and timed whole (``wall``: what a user
waits for), beside the time of its work as it measures it (``work``: the flow call, or the
uploads); each gets a fresh sandbox (served from this process) and a fresh hubload home. Every
load must reconcile and the sandbox must hold exactly the rows it reports loaded, else the
benchmark stops. Peak memory is each process's own ``VmHWM``, read by the process itself before
it exits (a child's ``ru_maxrss`` inherits its parent's high-water mark). Figures are medians
with their range (min-max) over ``--repeat`` runs; the 1-minute load average is sampled before
and after each run, since the machine may be shared.

Then the small-file floor: the seed sample from the command line beside a one-task Prefect flow,
against the running server and in ephemeral mode (no ``PREFECT_API_URL``).

The contact files (about 3% bad rows: a bad email, a missing last name, a ragged row) are made
once per run, every size in one pass (``contacts_data.py``); ``--data-dir`` keeps them for the
next run. The results table is markdown on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from contacts_data import DataSet, make

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# The checkout this file is in is the one measured (its sandbox here, its hubload in the
# children), whatever checkout the environment's editable install points at.
sys.path.insert(1, str(REPO))

from sandbox.config import SandboxConfig  # noqa: E402
from sandbox.server import RunningSandbox, start_sandbox  # noqa: E402

CHILD = HERE / "bench_children.py"
BIN = Path(sys.executable).parent
SEED = REPO / "samples" / "seed_contacts.csv"
SEED_MAPPING = REPO / "mappings" / "marketing_contact.yaml"

HUBLOAD, NAIVE, FLOOR, PANDAS = "hubload", "naive flow", "target floor", "pandas floor"
HUBLOAD_SF, FLOOR_SF = "hubload (Salesforce face)", "target floor (Salesforce face)"
CLI_SMALL, TRIVIAL = "hubload load (seed)", "one-task flow"
GOALS = {"naive": 1.0, "floor": 1.3, "flat": 1.1, "small": 1.5}


class BenchmarkError(RuntimeError):
    """A run failed, or did not reconcile: the figures would mean nothing."""


@dataclass
class Run:
    """One measured process."""

    measure: str
    rows: int
    repeat: int
    wall: float
    """The whole process, start to exit, as the parent saw it."""
    work: float
    """Its work as it timed it: the command's or flow's call, or the uploads."""
    peak_mib: float
    cpu: float
    """CPU seconds of the process (user + system)."""
    sandbox_cpu: float
    """CPU seconds of the sandbox (the driver's process) meanwhile."""
    server_cpu: float
    """CPU seconds of the Prefect server meanwhile."""
    startup: float
    """From the process's start to its work's."""
    exit: float
    """From its work's end (and report) to its exit."""
    load_before: float
    load_after: float
    loaded: int = 0
    rejected: int = 0
    failed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What every measure needs: where to work, the Prefect API, the options."""

    work: Path
    api: str
    server: int
    """The Prefect server's process group (its CPU time is read from /proc)."""
    chunk_size: int
    concurrency: int
    keep_logs: bool


def load1() -> float:
    """The machine's 1-minute load average."""
    return os.getloadavg()[0]


def say(message: str) -> None:
    """Progress, on stderr."""
    print(message, file=sys.stderr, flush=True)


# -- processes ------------------------------------------------------------------------------


def base_env(**extra: str) -> dict[str, str]:
    """This environment without hubload's or Prefect's settings, bytecode caching on (as
    ``./run`` sets it), telemetry off, this checkout first on the path, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUBLOAD_", "PREFECT_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=path, **extra)
    return env


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[tuple[str, int]]:
    """``prefect server start`` on a free port with a fresh SQLite database, in a process group
    of its own; its API URL and process group."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    home.mkdir(parents=True)
    env = base_env(PREFECT_HOME=str(home), PREFECT_UI_API_URL=url)
    args = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with (home / "server.log").open("w") as log:
        server = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (home / "server.log").read_text()[-2000:]
                raise BenchmarkError(f"prefect server did not start:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        yield url, server.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextlib.contextmanager
def fresh_sandbox(folder: Path) -> Iterator[RunningSandbox]:
    """A sandbox with an empty database, served from this process until the block ends."""
    with start_sandbox(SandboxConfig(db_path=folder / "sandbox.db")) as sandbox:
        yield sandbox


@dataclass
class Child:
    """What a measured process left: its exit code, times, and the values it reported."""

    code: int
    wall: float
    result: dict[str, Any]
    log: str


Outcome = tuple[Child, dict[str, Any]]
"""A measured process and the counts it was checked on."""
Step = Callable[["Context", DataSet, int], Outcome]
"""A measure: run once on one file (the repeat's number names its folder)."""


def group_cpu(group: int) -> float:
    """CPU seconds (user + system, with their reaped children's) of the processes of a process
    group, so far."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # from field 3 (state) on
        if int(fields[2]) == group:  # field 5, pgrp
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def run_child(
    ctx: Context,
    folder: Path,
    name: str,
    args: list[str],
    env: dict[str, str],
    ok: tuple[int, ...] = (0,),
) -> Child:
    """Run ``bench_children.py ARGS`` to its end (output in a log file); its report, with the
    CPU seconds it took, and those the sandbox (this process) and the Prefect server took
    meanwhile.

    Raises:
        BenchmarkError: it exited with a code not in ``ok``, or reported nothing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / f"{name}.json"
    log = folder / f"{name}.log"
    env = {**env, "BENCH_RESULT": str(result)}
    with log.open("w") as out:
        server, sandbox = group_cpu(ctx.server), time.process_time()
        spawned_at, started = time.time(), time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(CHILD), *args], env=env, cwd=REPO, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall, ended_at = time.perf_counter() - started, time.time()
        child.returncode = code = os.waitstatus_to_exitcode(status)
        sandbox, server = time.process_time() - sandbox, group_cpu(ctx.server) - server
    text = log.read_text(errors="replace")
    if code not in ok or not result.exists():
        raise BenchmarkError(f"{name} exited {code}:\n{text[-4000:]}")
    report = json.loads(result.read_text())
    report.update(
        cpu=usage.ru_utime + usage.ru_stime,
        sandbox_cpu=sandbox,
        server_cpu=server,
        startup=report["work_started_at"] - spawned_at,
        exit=ended_at - report["ended_at"],
    )
    return Child(code, wall, report, text)


def measured(measure: str, rows: int, repeat: int, go: Callable[[], Outcome]) -> Run:
    """Run one measure between two samples of the load average."""
    before = load1()
    child, counts = go()
    after = load1()
    run = Run(
        measure=measure,
        rows=rows,
        repeat=repeat,
        wall=child.wall,
        work=float(child.result["call_seconds"]),
        peak_mib=float(child.result["peak_mib"]),
        cpu=child.result["cpu"],
        sandbox_cpu=child.result["sandbox_cpu"],
        server_cpu=child.result["server_cpu"],
        startup=child.result["startup"],
        exit=child.result["exit"],
        load_before=before,
        load_after=after,
        loaded=int(counts.pop("loaded", 0)),
        rejected=int(counts.pop("rejected", 0)),
        failed=int(counts.pop("failed", 0)),
        extra=counts,
    )
    say(
        f"  {measure:<31} {rows:>9,} rows #{repeat + 1}: wall {run.wall:6.2f} s, "
        f"work {run.work:6.2f} s, peak {run.peak_mib:5.0f} MiB, CPU {run.cpu:5.1f} + sandbox "
        f"{run.sandbox_cpu:5.1f} + prefect {run.server_cpu:4.1f} s, load {before:.2f}->{after:.2f}"
    )
    return run


def check(condition: bool, what: str) -> None:
    """Fail loudly when a run does not reconcile.

    Raises:
        BenchmarkError: ``condition`` is false.
    """
    if not condition:
        raise BenchmarkError(f"does not reconcile: {what}")


# -- the measures ---------------------------------------------------------------------------


def hubload_env(ctx: Context, home: Path, sandbox: RunningSandbox, face: str) -> dict[str, str]:
    """The environment of a hubload command into one of the sandbox's faces."""
    env = base_env(
        PREFECT_API_URL=ctx.api,
        PREFECT_HOME=str(ctx.work / "prefect-client"),
        HUBLOAD_HOME=str(home),
    )
    if face == "salesforce":
        where = sandbox.salesforce_instance_url
        env.update(
            HUBLOAD_SF_LOGIN_URL=where,
            HUBLOAD_SF_INSTANCE_URL=where,
            HUBLOAD_SF_CLIENT_ID=sandbox.oauth_client_id,
            HUBLOAD_SF_CLIENT_SECRET=sandbox.oauth_client_secret,
            HUBLOAD_SF_INSTANCE_NAME="bench-sandbox",
        )
    else:
        env.update(
            HUBLOAD_BASE_URL=sandbox.base_url,
            HUBLOAD_AUTHORIZATION=sandbox.authorization,
            HUBLOAD_INSTANCE_NAME="bench-sandbox",
        )
    return env


def run_hubload(ctx: Context, data: DataSet, repeat: int, face: str = "open-connectors") -> Outcome:
    """``hubload load`` of the file into Contact; checked against the sandbox."""
    folder = ctx.work / f"hubload-{face}-{data.rows}-{repeat}"
    home = folder / "home"
    with fresh_sandbox(folder) as sandbox:
        args = [
            "hubload",
            "load",
            data.path,
            "--object",
            "Contact",
            "--target",
            face,
            "--chunk-size",
            str(ctx.chunk_size),
            "--concurrency",
            str(ctx.concurrency),
            "--json",
        ]
        env = hubload_env(ctx, home, sandbox, face)
        child = run_child(ctx, folder, "hubload", args, env, ok=(0, 1))
        stored = sandbox.store.count_records("helpdesk", "Contact")
    summaries = list((home / "runs").glob("*/summary.json"))
    check(len(summaries) == 1, f"hubload wrote {len(summaries)} summaries: {child.log[-2000:]}")
    summary = json.loads(summaries[0].read_text())
    where = f"hubload {face} {data.rows} rows #{repeat + 1}"
    check(summary["reconciles"], f"{where}: summary says it does not: {summary['discrepancies']}")
    check(summary["read"] == data.rows, f"{where}: read {summary['read']} of {data.rows}")
    check(
        summary["succeeded"] == stored,
        f"{where}: {summary['succeeded']} succeeded, the sandbox holds {stored}",
    )
    check(
        (summary["succeeded"], summary["rejected"], summary["failed"]) == (data.valid, data.bad, 0),
        f"{where}: {summary['succeeded']}/{summary['rejected']}/{summary['failed']} "
        f"succeeded/rejected/failed, expected {data.valid}/{data.bad}/0",
    )
    counts = {
        "loaded": summary["succeeded"],
        "rejected": summary["rejected"],
        "failed": summary["failed"],
        "flow_seconds": summary["seconds"],
        "timings": summary["timings"],
        "jobs": len(summary["jobs"]),
        "exit_code": child.code,
    }
    if not ctx.keep_logs:
        shutil.rmtree(folder, ignore_errors=True)
    return child, counts


def run_naive(ctx: Context, data: DataSet, repeat: int) -> Outcome:
    """The naive flow on the file; checked against the sandbox."""
    folder = ctx.work / f"naive-{data.rows}-{repeat}"
    with fresh_sandbox(folder) as sandbox:
        args = [
            "naive",
            data.path,
            "--base-url",
            sandbox.base_url,
            "--authorization",
            sandbox.authorization,
            "--chunk-size",
            str(ctx.chunk_size),
            "--concurrency",
            str(ctx.concurrency),
        ]
        env = base_env(PREFECT_API_URL=ctx.api, PREFECT_HOME=str(ctx.work / "prefect-client"))
        child = run_child(ctx, folder, "naive", args, env)
        stored = sandbox.store.count_records("helpdesk", "Contact")
    counts = child.result["counts"]
    where = f"naive flow {data.rows} rows #{repeat + 1}"
    check(counts["read"] == data.rows, f"{where}: read {counts['read']} of {data.rows}")
    check(
        counts["read"] == counts["rejected"] + counts["sent"]
        and counts["sent"] == counts["succeeded"] + counts["failed"],
        f"{where}: {counts}",
    )
    check(counts["succeeded"] == stored, f"{where}: {counts['succeeded']} loaded, sandbox {stored}")
    # It pads the ragged rows and sends them: only the bad emails and last names are rejected.
    expected = data.bad_email + data.no_last_name
    check(counts["rejected"] == expected, f"{where}: rejected {counts['rejected']} != {expected}")
    if not ctx.keep_logs:
        shutil.rmtree(folder, ignore_errors=True)
    return child, {
        "loaded": counts["succeeded"],
        "rejected": counts["rejected"],
        "failed": counts["failed"],
        "jobs": counts["jobs"],
    }


def run_floor(ctx: Context, data: DataSet, repeat: int, face: str = "open-connectors") -> Outcome:
    """Raw uploads of the valid rows' chunks; checked against the sandbox."""
    folder = ctx.work / f"floor-{face}-{data.rows}-{repeat}"
    with fresh_sandbox(folder) as sandbox:
        if face == "salesforce":
            head = ["floor-sf", sandbox.salesforce_instance_url, sandbox.salesforce_token]
        else:
            head = ["floor-oc", sandbox.base_url, sandbox.authorization]
        args = [*head, str(ctx.concurrency), *data.chunks]
        child = run_child(ctx, folder, "floor", args, base_env())
        stored = sandbox.store.count_records("helpdesk", "Contact")
    got = child.result
    where = f"target floor {face} {data.rows} rows #{repeat + 1}"
    check(
        (got["records"], got["failed"], got["jobs"]) == (data.valid, 0, len(data.chunks)),
        f"{where}: {got}, expected {data.valid} records in {len(data.chunks)} jobs",
    )
    check(stored == data.valid, f"{where}: the sandbox holds {stored} of {data.valid}")
    if not ctx.keep_logs:
        shutil.rmtree(folder, ignore_errors=True)
    return child, {"loaded": got["records"], "failed": got["failed"], "jobs": got["jobs"]}


def run_pandas(ctx: Context, data: DataSet, repeat: int) -> Outcome:
    """pandas reading the file and writing it back."""
    folder = ctx.work / f"pandas-{data.rows}-{repeat}"
    child = run_child(
        ctx, folder, "pandas", ["pandas", data.path, str(folder / "out.csv")], base_env()
    )
    rows = child.result["rows"]
    check(rows == data.rows - data.ragged, f"pandas read {rows} rows of {data.rows}")
    shutil.rmtree(folder, ignore_errors=True)
    return child, {"loaded": rows, "read_seconds": child.result["read_seconds"]}


def run_small(ctx: Context, measure: str, repeat: int, env: dict[str, str]) -> Outcome:
    """The seed sample from the command line (into a fresh sandbox), or a one-task flow."""
    folder = ctx.work / f"small-{time.monotonic_ns()}"
    if measure == TRIVIAL:
        child = run_child(ctx, folder, "trivial", ["trivial"], env)
        shutil.rmtree(folder, ignore_errors=True)
        return child, {}
    home = folder / "home"
    with fresh_sandbox(folder) as sandbox:
        args = [
            "hubload",
            "load",
            str(SEED),
            "--object",
            "contact",
            "--hub",
            "marketing",
            "--mapping",
            str(SEED_MAPPING),
            "--target",
            "open-connectors",
            "--json",
        ]
        cli_env = {
            **env,
            "HUBLOAD_HOME": str(home),
            "HUBLOAD_BASE_URL": sandbox.base_url,
            "HUBLOAD_AUTHORIZATION": sandbox.authorization,
            "HUBLOAD_INSTANCE_NAME": "bench-sandbox",
        }
        child = run_child(ctx, folder, "cli", args, cli_env, ok=(0, 1))
        stored = sandbox.store.count_records("marketing", "contact")
    summary = json.loads(next((home / "runs").glob("*/summary.json")).read_text())
    check(summary["reconciles"], f"seed: the summary does not reconcile: {summary}")
    check(summary["succeeded"] == stored, f"seed: {summary['succeeded']} loaded, sandbox {stored}")
    if not ctx.keep_logs:
        shutil.rmtree(folder, ignore_errors=True)
    return child, {
        "loaded": summary["succeeded"],
        "rejected": summary["rejected"],
        "failed": summary["failed"],
    }


def small_floor(ctx: Context, repeat: int) -> list[Run]:
    """The seed from the CLI beside a one-task flow: against the server, then ephemeral."""
    runs = []
    server = base_env(PREFECT_API_URL=ctx.api, PREFECT_HOME=str(ctx.work / "prefect-client"))
    ephemeral = base_env(
        PREFECT_HOME=str(ctx.work / "prefect-ephemeral"),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    for mode, env in (("running server", server), ("ephemeral", ephemeral)):
        say(f"small-file floor, {mode} (first of each unmeasured: database, caches)")
        for measure in (TRIVIAL, CLI_SMALL):
            run_small(ctx, measure, -1, env)
        for n in range(repeat):
            for measure in (CLI_SMALL, TRIVIAL):
                name = f"{measure}, {mode}"
                runs.append(measured(name, 10, n, partial(run_small, ctx, measure, n, env)))
    return runs


# -- the report -----------------------------------------------------------------------------


def spread(values: list[float], digits: int = 2) -> str:
    """Median and range: ``1.23 (1.20-1.31)``."""
    if not values:
        return "-"
    mid, low, high = statistics.median(values), min(values), max(values)
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def of(runs: list[Run], measure: str, rows: int) -> list[Run]:
    """The runs of one measure at one size, in repeat order."""
    return sorted(
        (r for r in runs if r.measure == measure and r.rows == rows), key=lambda r: r.repeat
    )


def measured_runs(runs: list[Run], sizes: list[int]) -> Iterator[tuple[int, str, list[Run]]]:
    """Each size and measure that has runs, in the tables' order, with its runs."""
    for rows in sizes:
        for measure in (HUBLOAD, NAIVE, FLOOR, PANDAS, HUBLOAD_SF, FLOOR_SF):
            if found := of(runs, measure, rows):
                yield rows, measure, found


def paired(a: list[Run], b: list[Run], key: Callable[[Run], float]) -> list[float]:
    """The ratio a/b of runs made in the same repeat (side by side)."""
    by_repeat = {r.repeat: key(r) for r in b}
    return [key(r) / by_repeat[r.repeat] for r in a if r.repeat in by_repeat]


def wall(run: Run) -> float:
    """The run's wall time."""
    return run.wall


def work(run: Run) -> float:
    """The run's own timing of its work."""
    return run.work


def mark(values: list[float], goal: float) -> str:
    """The median against its goal."""
    if not values:
        return ""
    return " ✓" if statistics.median(values) <= goal else " ✗"


def report(runs: list[Run], small: list[Run], sizes: list[int], meta: dict[str, Any]) -> str:
    """The results as markdown."""
    out = [
        "# hubload load benchmark",
        "",
        f"{meta['machine']}; chunk size {meta['chunk_size']}, concurrency {meta['concurrency']}; "
        f"medians of {meta['repeat']} with (min-max); started {meta['started']}, "
        f"took {meta['seconds'] / 60:.0f} min.",
        f"Load average (1, 5, 15 min): before {meta['load_before']}, after {meta['load_after']}.",
        "",
        "## Times, memory and outcomes",
        "",
        "wall: the whole process as the driver saw it (interpreter start, imports, Prefect run "
        "set-up, the work, exit); work: the flow call (hubload: the CLI's `main()`), or the "
        "uploads (target floor), or read + write (pandas floor); peak: the process's own VmHWM; "
        "load: the 1-minute load average sampled before and after each run (min-max).",
        "",
        "| rows | measure | wall s | work s | rows loaded/s (wall) | peak MiB | load 1-min | "
        "loaded / rejected / failed |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for rows, measure, found in measured_runs(runs, sizes):
        loads = [v for r in found for v in (r.load_before, r.load_after)]
        rates = [r.loaded / r.wall for r in found]
        last = found[-1]
        outcome = (
            f"{last.loaded:,} read, the {last.rows - last.loaded:,} ragged skipped"
            if measure == PANDAS
            else f"{last.loaded:,} / {last.rejected:,} / {last.failed:,}"
        )
        out.append(
            f"| {rows:,} | {measure} | {spread([r.wall for r in found])} | "
            f"{spread([r.work for r in found])} | {statistics.median(rates):,.0f} | "
            f"{spread([r.peak_mib for r in found], 0)} | "
            f"{min(loads):.2f}-{max(loads):.2f} | {outcome} |"
        )
    out += [
        "",
        "## Ratios (each repeat's runs side by side, then the median and range)",
        "",
        f"Goals at 1M rows: hubload / naive ≤ {GOALS['naive']}, hubload / target floor ≤ "
        f"{GOALS['floor']} (✓ met, ✗ missed, on the wall-time median).",
        "",
        "| rows | hubload / naive (wall) | hubload / target floor (wall) | hubload / naive (work) "
        "| hubload / target floor (work) | hubload / pandas floor (wall) | naive / target floor "
        "(wall) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in sizes:
        hub, naive, floor, pandas = (of(runs, m, rows) for m in (HUBLOAD, NAIVE, FLOOR, PANDAS))
        to_naive, to_floor = paired(hub, naive, wall), paired(hub, floor, wall)
        goal = rows == 1_000_000
        out.append(
            f"| {rows:,} | {spread(to_naive)}{mark(to_naive, GOALS['naive']) if goal else ''} | "
            f"{spread(to_floor)}{mark(to_floor, GOALS['floor']) if goal else ''} | "
            f"{spread(paired(hub, naive, work))} | {spread(paired(hub, floor, work))} | "
            f"{spread(paired(hub, pandas, wall))} | {spread(paired(naive, floor, wall))} |"
        )
    for rows in sizes:
        hub_sf, floor_sf = of(runs, HUBLOAD_SF, rows), of(runs, FLOOR_SF, rows)
        if hub_sf:
            out.append(
                f"\nSalesforce face at {rows:,} rows: hubload / target floor (wall) "
                f"{spread(paired(hub_sf, floor_sf, wall))}, (work) "
                f"{spread(paired(hub_sf, floor_sf, work))}; hubload SF / hubload OC (wall) "
                f"{spread(paired(hub_sf, of(runs, HUBLOAD, rows), wall))}."
            )
    out += cpu_section(runs, sizes)
    out += memory_section(runs, sizes)
    out += timings_section(runs, sizes)
    if small:
        out += small_section(small)
    return "\n".join(out) + "\n"


def cpu_section(runs: list[Run], sizes: list[int]) -> list[str]:
    """Where each process's wall time went (start-up, work, exit) and the CPU seconds it cost,
    with the sandbox's and the Prefect server's meanwhile: less sensitive to a shared
    machine's load than wall times."""
    out = [
        "",
        "## Phases and CPU seconds (medians)",
        "",
        "start-up: from the process's start to its work's (interpreter, imports); exit: from "
        "its work's end to its exit (Prefect's log and event workers draining...). CPU: the "
        "process's own user + system seconds; sandbox: this driver's (it serves the sandbox); "
        "Prefect: the server's process group's. On 2 cores, CPU total / 2 is a floor of the wall "
        "time on an idle machine.",
        "",
        "| rows | measure | wall | start-up | work | exit | CPU process | CPU sandbox "
        "| CPU Prefect server | CPU total |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, measure, found in measured_runs(runs, sizes):

        def mid(key: Callable[[Run], float], these: list[Run] = found) -> str:
            return f"{statistics.median(key(r) for r in these):.2f}"

        out.append(
            f"| {rows:,} | {measure} | {mid(wall)} | {mid(lambda r: r.startup)} | "
            f"{mid(work)} | {mid(lambda r: r.exit)} | {mid(lambda r: r.cpu)} | "
            f"{mid(lambda r: r.sandbox_cpu)} | {mid(lambda r: r.server_cpu)} | "
            f"{mid(lambda r: r.cpu + r.sandbox_cpu + r.server_cpu)} |"
        )
    return out


def memory_section(runs: list[Run], sizes: list[int]) -> list[str]:
    """Peak memory per process and its flatness (largest size / 200k)."""
    small, large = 200_000, max(sizes)
    if small not in sizes or large <= small:
        return []
    out = [
        "",
        f"## Peak memory (VmHWM, MiB): flatness {large:,} / {small:,} rows "
        f"(goal for hubload ≤ {GOALS['flat']})",
        "",
        f"| measure | {small:,} rows | {large:,} rows | ratio (median) |",
        "|---|---:|---:|---:|",
    ]
    for measure in (HUBLOAD, NAIVE, FLOOR, PANDAS):
        low = [r.peak_mib for r in of(runs, measure, small)]
        high = [r.peak_mib for r in of(runs, measure, large)]
        if low and high:
            ratio = statistics.median(high) / statistics.median(low)
            goal = mark([ratio], GOALS["flat"]) if measure == HUBLOAD else ""
            out.append(f"| {measure} | {spread(low, 0)} | {spread(high, 0)} | {ratio:.2f}{goal} |")
    return out


def timings_section(runs: list[Run], sizes: list[int]) -> list[str]:
    """hubload's own step timings (its summary's ``timings``), medians."""
    out = [
        "",
        "## Where hubload's time goes (its summary's `seconds` and `timings`, medians, s)",
        "",
    ]
    for measure in (HUBLOAD, HUBLOAD_SF):
        found = [r for r in runs if r.measure == measure]
        keys = sorted({k for r in found for k in r.extra.get("timings", {})})
        if not found:
            continue
        out += [
            f"| {measure}: rows | wall | flow | " + " | ".join(keys) + " |",
            "|---:|---:|---:|" + "---:|" * len(keys),
        ]
        for rows in sizes:
            these = of(runs, measure, rows)
            if not these:
                continue
            cells = [
                f"{statistics.median(r.extra['timings'].get(k, 0.0) for r in these):.2f}"
                for k in keys
            ]
            flow = statistics.median(r.extra["flow_seconds"] for r in these)
            mid = statistics.median(r.wall for r in these)
            out.append(f"| {rows:,} | {mid:.2f} | {flow:.2f} | " + " | ".join(cells) + " |")
        out.append("")
    return out


def small_section(small: list[Run]) -> list[str]:
    """The seed from the command line beside a one-task flow, in both modes."""
    out = [
        "",
        "## Small-file floor: the seed sample (10 rows) from the command line",
        "",
        f"Goal: hubload ≤ one-task flow + {GOALS['small']} s, with a running server and in "
        "ephemeral mode (wall, each repeat's pair). In ephemeral mode the work includes starting "
        "the temporary server, whose CPU is the process's (its child).",
        "",
        "| mode | measure | wall s | start-up | work | exit | CPU process | CPU Prefect server "
        "| peak MiB | load 1-min |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for mode in ("running server", "ephemeral"):
        pair = []
        for measure in (CLI_SMALL, TRIVIAL):
            found = sorted(
                (r for r in small if r.measure == f"{measure}, {mode}"), key=lambda r: r.repeat
            )
            pair.append(found)
            if not found:
                continue
            loads = [v for r in found for v in (r.load_before, r.load_after)]
            out.append(
                f"| {mode} | {measure} | {spread([r.wall for r in found])} | "
                f"{spread([r.startup for r in found])} | {spread([r.work for r in found])} | "
                f"{spread([r.exit for r in found])} | {spread([r.cpu for r in found])} | "
                f"{spread([r.server_cpu for r in found])} | "
                f"{statistics.median(r.peak_mib for r in found):.0f} | "
                f"{min(loads):.2f}-{max(loads):.2f} |"
            )
        cli, flow = pair
        by_repeat = {r.repeat: r.wall for r in flow}
        diff = [r.wall - by_repeat[r.repeat] for r in cli if r.repeat in by_repeat]
        if diff:
            goal = " ✓" if statistics.median(diff) <= GOALS["small"] else " ✗"
            verdicts.append(f"{mode}: hubload - one-task flow = {spread(diff)} s{goal}")
    return [*out, "", "; ".join(verdicts) + "."]


# -- main -----------------------------------------------------------------------------------


def warm_up(ctx: Context, data: DataSet, chosen: list[str]) -> None:
    """Compile this checkout's modules and run each Prefect measure once, unmeasured: the
    first run of a process reads every module from disk and writes its bytecode."""
    say("warming up: bytecode, one unmeasured run of each flow")
    packages = ["cli", "deployments", "flows", "hubload", "sandbox", "schemas", "tasks"]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(REPO / p) for p in packages)],
        env=base_env(),
        check=True,
    )
    if "hubload" in chosen:
        run_hubload(ctx, data, -1)
    if "naive" in chosen:
        run_naive(ctx, data, -1)


def plan(chosen: list[str], *, salesforce: bool) -> list[tuple[str, Step]]:
    """The measures to run at one size, in order (the Salesforce face's at its size)."""
    steps: list[tuple[str, Step]] = [
        (name, step)
        for key, name, step in (
            ("hubload", HUBLOAD, run_hubload),
            ("naive", NAIVE, run_naive),
            ("floor", FLOOR, run_floor),
            ("pandas", PANDAS, run_pandas),
        )
        if key in chosen
    ]
    if salesforce and "hubload" in chosen:
        steps.append((HUBLOAD_SF, partial(run_hubload, face="salesforce")))
    if salesforce and "floor" in chosen:
        steps.append((FLOOR_SF, partial(run_floor, face="salesforce")))
    return steps


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 200_000, 1_000_000, 2_000_000]
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--salesforce-size",
        type=int,
        default=1_000_000,
        help="also load this size through the Salesforce face (0: never)",
    )
    parser.add_argument("--skip-small", action="store_true", help="skip the small-file floor")
    parser.add_argument(
        "--measures",
        nargs="+",
        default=["hubload", "naive", "floor", "pandas"],
        choices=["hubload", "naive", "floor", "pandas"],
        help="which measures to run at every size",
    )
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--data-dir", type=Path, help="keep the generated files here (reused)")
    parser.add_argument("--keep", action="store_true", help="keep the runs' folders and logs")
    return parser.parse_args()


def main() -> None:
    """Make the files, start the Prefect server, run every measure, print the tables."""
    args = parse_args()
    started, clock = time.strftime("%Y-%m-%d %H:%M:%S"), time.monotonic()
    meta: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "chunk_size": args.chunk_size,
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "started": started,
        "load_before": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    work_dir = Path(tempfile.mkdtemp(prefix="hubload-load-bench-"))
    data_dir = args.data_dir or work_dir / "data"
    sizes = sorted(set(args.sizes))
    say(f"making the files ({', '.join(f'{s:,}' for s in sizes)} rows) in {data_dir}")
    made = time.monotonic()
    data = make(data_dir, sizes, args.chunk_size)
    say(f"  made in {time.monotonic() - made:.1f} s")
    runs: list[Run] = []
    small: list[Run] = []
    try:
        say(f"starting prefect server (work in {work_dir})")
        with prefect_server(work_dir / "prefect-server") as (api, group):
            ctx = Context(work_dir, api, group, args.chunk_size, args.concurrency, args.keep)
            warm_up(ctx, data[sizes[0]], args.measures)
            for rows in sizes:
                say(f"{rows:,} rows ({data[rows].bytes / 1e6:.0f} MB, {data[rows].bad:,} bad)")
                steps = plan(args.measures, salesforce=rows == args.salesforce_size)
                for n in range(args.repeat):
                    for name, step in steps:
                        runs.append(measured(name, rows, n, partial(step, ctx, data[rows], n)))
            if not args.skip_small:
                small = small_floor(ctx, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            say(f"kept {work_dir}")
    meta["seconds"] = time.monotonic() - clock
    meta["load_after"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(report(runs, small, sizes, meta))
    if args.json:
        everything = {"meta": meta, "runs": [asdict(r) for r in runs + small]}
        args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as exc:
        raise SystemExit(f"benchmark failed: {exc}") from None
