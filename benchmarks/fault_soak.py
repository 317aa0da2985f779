"""Fault soak at the scale of issue 10: many 100k-row loads into a sandbox having a bad day.

Usage (from the repository root, inside ./run's environment):

    .venv/bin/python benchmarks/fault_soak.py                     # 18 loads + 10 killed, 100k rows
    .venv/bin/python benchmarks/fault_soak.py --loads 2 --kills 1 --rows 20000   # a quick check
    .venv/bin/python benchmarks/fault_soak.py --out benchmarks/results/fault-soak-DATE.md

One ``prefect server start`` (a fresh database) and one sandbox, served from this process for
the whole soak, with the fault mix of issue 10: 10% of requests answered 500/503, 5% 429 with
``Retry-After: 1``, 2% of upload answers lost (the job is made, the client hears nothing), 2%
record-lock errors on rows, 5 ms of latency on every request. Every load is the real
command line, ``hubload load FILE --object Contact --chunk-size 10000 ... --json``, in a
process (and process group) of its own, one at a time, all sharing one hubload home (its
ledger and run folders), as one user's loads would.

* ``--loads`` loads (default 18) of ``--rows`` rows each (default 100,000), cycling through four
  kinds: insert, insert ``--match-key Email``, upsert ``--external-id Email``, and upsert with
  ``--match-key Email``. A load *finished in its own run* when its first run, with no resume
  and no reprocess, ended with no failed row (only the rejected bad emails left) and its
  summary says it reconciles (``reconciles: true``, not null).
* ``--kills`` loads (default 10), half insert ``--match-key Email``, half upsert on Email,
  each killed with SIGKILL (its whole process group) after a random 3-12 s if still running,
  then taken up with ``hubload resume RUN_ID --json`` (the run id read from the ledger) until
  a resume ends with its rows settled (at most 3 resumes).

Every file has emails of its own (``l07.user123@example26.com``) and about 1% of rows with a bad
email, rejected before sending: the only rows allowed to be left. After the last load, the
sandbox's records are counted per email: records beyond one per email are rows loaded twice,
valid emails of a file missing at the target are rows lost. The report (markdown) gives the
setup, a table per load (exit codes, wall seconds, counts, ``audit.status``, healing, target
calls per chunk), and the summary against issue 10's goals; target calls per chunk exclude the
status polls, which are given apart. It is printed on stdout and written to ``--out``;
progress goes to stderr. Every subprocess has a 10-minute timeout (its process group is then
killed and the load reported as such).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from load_benchmark import REPO, BenchmarkError, base_env, prefect_server, say

from hubload.healing import HEAL_BASE
from hubload.ledger import Ledger
from sandbox.catalogue import resolve_object
from sandbox.config import SandboxConfig
from sandbox.db import quote
from sandbox.server import RunningSandbox, start_sandbox

HUBLOAD = Path(sys.executable).parent / "hubload"
HUB, OBJECT = "helpdesk", "Contact"
CHUNK_SIZE = 10_000
TIMEOUT = 600.0
MAX_RESUMES = 3
BAD_SHARE = 0.01
HEADER = "FirstName,LastName,Email,Title,Phone,MailingCity,Birthdate"
FAULTS: dict[str, Any] = {
    "error_rate": 0.10,
    "rate_limit_rate": 0.05,
    "retry_after": 1,
    "lost_response_rate": 0.02,
    "lock_error_rate": 0.02,
    "latency_ms": 5,
}
# kind -> (operation, match key)
KINDS: dict[str, tuple[str, str | None]] = {
    "insert": ("insert", None),
    "insert + match key": ("insert", "Email"),
    "upsert": ("upsert", None),
    "upsert + match key": ("upsert", "Email"),
}
KILL_KINDS = ["insert + match key", "upsert"]
SETTLED = {"not-needed", "confirmed", "doubled", "short"}
"""Audit statuses that leave nothing to settle (``unsettled``/``unchecked`` ask for a resume)."""


@dataclass
class Attempt:
    """One hubload process: ``load`` or ``resume``."""

    command: str
    code: int | None
    """Its exit code; None when this soak killed it (SIGKILL or timeout)."""
    wall: float
    summary: dict[str, Any] | None
    note: str = ""


@dataclass
class Load:
    """One file's load: its first run and, for a killed one, the resumes."""

    label: str
    kind: str
    path: Path
    rows: int
    bad: int
    kill_after: float | None = None
    killed: bool = False
    run_id: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    records: int = 0
    """Records of its emails at the target, after the soak."""
    distinct: int = 0
    """Distinct emails of its at the target."""
    failed_at_target: int = 0
    """Rows of its failed.csv whose email is at the target all the same."""
    reasons: list[tuple[str, int]] = field(default_factory=list)
    """The commonest errors of its failed.csv."""

    @property
    def valid(self) -> int:
        return self.rows - self.bad

    @property
    def last(self) -> dict[str, Any] | None:
        """The last summary any of its runs wrote."""
        found = [a.summary for a in self.attempts if a.summary is not None]
        return found[-1] if found else None

    @property
    def own_run(self) -> bool:
        """Finished in its own run: the first run, with no failed row, reconciling."""
        first = self.attempts[0] if self.attempts else None
        if first is None or first.summary is None or self.killed:
            return False
        summary = first.summary
        return bool(summary["failed"] == 0 and summary["reconciles"] is True)

    @property
    def twice(self) -> int:
        return self.records - self.distinct

    @property
    def lost(self) -> int:
        return self.valid - self.distinct


# -- files ----------------------------------------------------------------------------------


def make_file(folder: Path, label: str, rows: int, seed: int) -> tuple[Path, int]:
    """A contact file whose emails are its own (``LABEL.userN@...``), about 1% bad; its path
    and number of bad rows."""
    rng = random.Random(seed)
    path = folder / f"{label}.csv"
    bad = 0
    lines = [HEADER]
    for i in range(rows):
        if rng.random() < BAD_SHARE:
            email = f"{label}.not-an-email-{i}"
            bad += 1
        else:
            email = f"{label}.user{i}@example{i % 97}.com"
        lines.append(
            f"First{i},Last{i},{email},Design Engineer,"
            f"(555) {i % 1000:03d}-{i % 10000:04d},Paris,"
            f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path, bad


# -- processes ------------------------------------------------------------------------------


def parse_summary(text: str) -> dict[str, Any] | None:
    """The summary ``--json`` printed, if any."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    with contextlib.suppress(json.JSONDecodeError):
        value = json.loads(text[start : end + 1])
        if isinstance(value, dict) and "run_id" in value:
            return value
    return None


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process's whole group (it leads its own session), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_hubload(
    args: list[str], env: dict[str, str], logs: Path, name: str, kill_after: float | None = None
) -> tuple[Attempt, bool]:
    """``hubload ARGS`` to its end (or killed after ``kill_after`` s if still running, or after
    the timeout); the attempt and whether this soak killed it at ``kill_after``."""
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(HUBLOAD), *args],
            env=env,
            cwd=REPO,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        killed, note = False, ""
        try:
            process.wait(timeout=kill_after if kill_after is not None else TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(process)
            if kill_after is not None:
                killed, note = True, f"SIGKILL after {kill_after:.1f} s"
            else:
                note = f"timed out after {TIMEOUT:.0f} s: process group killed"
        else:
            if kill_after is not None:
                note = f"ended before the kill at {kill_after:.1f} s"
        wall = time.perf_counter() - started
    code = None if (killed or note.startswith("timed out")) else process.returncode
    summary = parse_summary(out.read_text(errors="replace")) if code is not None else None
    if code is not None and summary is None:
        tail = err.read_text(errors="replace").strip().splitlines()[-3:]
        note = (note + "; " if note else "") + "no summary: " + " | ".join(tail)
    return Attempt(args[0], code, wall, summary, note), killed


def run_of(home: Path, path: Path) -> tuple[str, Path] | None:
    """The id and folder of the newest run the ledger holds for the file."""
    with Ledger(f"sqlite:///{home / 'ledger.db'}") as book:
        for record in book.runs(limit=100):
            if Path(record.file).name == path.name:
                return record.run_id, Path(record.run_dir)
    return None


def folder_summary(attempt: Attempt, folder: Path, since: float) -> None:
    """Take the run folder's summary.json for an attempt that printed none, if the folder's
    summary was written after ``since`` (a wall-clock time)."""
    path = folder / "summary.json"
    if attempt.summary is None and path.exists() and path.stat().st_mtime >= since:
        attempt.summary = json.loads(path.read_text(encoding="utf-8"))
        attempt.note += "; summary read from the run folder"


def load_args(load: Load) -> list[str]:
    operation, match_key = KINDS[load.kind]
    args = ["load", str(load.path), "--object", OBJECT, "--chunk-size", str(CHUNK_SIZE)]
    if operation == "upsert":
        args += ["--operation", "upsert", "--external-id", "Email"]
    if match_key:
        args += ["--match-key", match_key]
    return [*args, "--json"]


def settled(attempt: Attempt) -> bool:
    """Whether a run's end leaves nothing for a resume: it wrote a summary whose audit has no
    row of unknown fate, and no job unfinished."""
    summary = attempt.summary
    if summary is None:
        return False
    return str(summary["audit"]["status"]) in SETTLED


def run_load(load: Load, env: dict[str, str], logs: Path) -> None:
    """Load the file (killed part-way and resumed for a kill load). A run that ends with no
    summary on stdout (killed, or an error) is looked up in the ledger, and its folder's
    summary.json taken if it wrote one meanwhile."""
    home = Path(env["HUBLOAD_HOME"])
    since = time.time()
    attempt, load.killed = run_hubload(load_args(load), env, logs, load.label, load.kill_after)
    load.attempts.append(attempt)
    found = run_of(home, load.path)
    if found is None:
        if load.killed:
            attempt.note += "; no run in the ledger: loaded again"
            again, _ = run_hubload(load_args(load), env, logs, f"{load.label}-again")
            load.attempts.append(again)
        return
    load.run_id, folder = found
    if not load.killed:
        folder_summary(attempt, folder, since)
        return
    for n in range(1, MAX_RESUMES + 1):
        since = time.time()
        args = ["resume", load.run_id, "--json"]
        resumed, _ = run_hubload(args, env, logs, f"{load.label}-resume{n}")
        folder_summary(resumed, folder, since)
        load.attempts.append(resumed)
        if settled(resumed) or resumed.code in (2, None):  # settled, nothing to resume, hung
            break


def describe(load: Load) -> str:
    def one(a: Attempt) -> str:
        s = a.summary
        counts = f"{s['succeeded']}/{s['rejected']}/{s['failed']}" if s else "-"
        status = s["audit"]["status"] if s else "-"
        return f"{a.command} exit {a.code} {a.wall:.1f}s {counts} {status} {a.note}".rstrip()

    return f"  {load.label} ({load.kind}): " + "; ".join(one(a) for a in load.attempts)


# -- the target's records -------------------------------------------------------------------


def count_records(sandbox: RunningSandbox, loads: list[Load]) -> int:
    """Each load's records and distinct emails at the target (by its emails' prefix); the
    records whose email belongs to no load."""
    spec = resolve_object(HUB, OBJECT)
    if spec is None:
        raise BenchmarkError(f"no {HUB}/{OBJECT} in the sandbox")
    prefix = 'substr("Email", 1, instr("Email", \'.\') - 1)'
    sql = (
        f'SELECT {prefix}, COUNT(*), COUNT(DISTINCT "Email") FROM {quote(spec.table)} '
        f"GROUP BY {prefix}"
    )
    found = {
        str(label): (int(records), int(distinct))
        for label, records, distinct in sandbox.store.records_connection().execute(sql)
    }
    for load in loads:
        load.records, load.distinct = found.pop(load.label, (0, 0))
        failed_rows(sandbox, spec.table, load)
    return sum(records for records, _ in found.values())


def failed_rows(sandbox: RunningSandbox, table: str, load: Load) -> None:
    """The commonest errors of the load's last failed.csv, and how many of its rows are at
    the target all the same (a row reported failed that a job loaded: sent again, twice)."""
    summary = load.last
    if summary is None or not summary["failed"]:
        return
    reports = summary["reports"]
    path = Path(reports.get("failed") or Path(reports["summary"]).with_name("failed.csv"))
    if not path.is_file():
        return
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    load.reasons = Counter((r.get("error") or "?").split(":")[0][:80] for r in rows).most_common(3)
    sql = f'SELECT "Email" FROM {quote(table)} WHERE "Email" LIKE ?'
    there = {
        str(email)
        for (email,) in sandbox.store.records_connection().execute(sql, (f"{load.label}.%",))
    }
    load.failed_at_target = sum(r.get("Email") in there for r in rows)


# -- the report -----------------------------------------------------------------------------


def percentile(values: list[int], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


def jobs_of(load: Load, *, heal: bool | None = None) -> list[dict[str, Any]]:
    """The jobs of the run that finished the load (its first run, else its last resume): the
    file's chunks (``heal=False``), its healing jobs (``heal=True``, numbered from
    ``HEAL_BASE``), or both."""
    summary = load.last
    jobs = list(summary["jobs"]) if summary else []
    if heal is None:
        return jobs
    return [j for j in jobs if (int(j["chunk"]) >= HEAL_BASE) == heal]


def cell(summary: dict[str, Any] | None, key: str) -> str:
    if summary is None:
        return "-"
    value = summary["audit"]["status"] if key == "audit" else summary[key]
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    return f"{value:,}" if isinstance(value, int) else str(value)


def load_rows(loads: list[Load]) -> list[str]:
    out = [
        "| load | kind | exit codes | wall s | jobs s | read | succeeded | rejected | failed "
        "| reconciles | audit | healed | heal rounds | chunks + heal jobs | calls/chunk max "
        "| calls/heal job max | polls/job max | own run | records twice | lost |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    for load in loads:
        s = load.last
        jobs, chunks, heals = jobs_of(load), jobs_of(load, heal=False), jobs_of(load, heal=True)
        spent = f"{s['timings'].get('jobs', 0.0):.1f}" if s else "-"
        codes = " → ".join(
            ("killed" if a.code is None and load.killed and i == 0 else str(a.code))
            for i, a in enumerate(load.attempts)
        )
        walls = " + ".join(f"{a.wall:.1f}" for a in load.attempts)
        own = "yes" if load.own_run else ("-" if load.kill_after is not None else "**no**")
        out.append(
            f"| {load.label} | {load.kind} | {codes} | {walls} | {spent} | {cell(s, 'read')} | "
            f"{cell(s, 'succeeded')} | {cell(s, 'rejected')} | {cell(s, 'failed')} | "
            f"{cell(s, 'reconciles')} | {cell(s, 'audit')} | {cell(s, 'healed')} | "
            f"{cell(s, 'heal_rounds')} | {len(chunks)} + {len(heals)} | "
            f"{max((j['calls'] for j in chunks), default=0)} | "
            f"{max((j['calls'] for j in heals), default=0)} | "
            f"{max((j['polls'] for j in jobs), default=0)} | {own} | {load.twice:,} | "
            f"{load.lost:,} |"
        )
    return out


def stats(values: list[int], what: str = "chunks") -> str:
    if not values:
        return "-"
    return (
        f"median {statistics.median(values):g}, p95 {percentile(values, 0.95):g}, "
        f"max {max(values)} (over {len(values)} {what})"
    )


def report(loads: list[Load], kills: list[Load], stray: int, meta: dict[str, Any]) -> str:
    everything = loads + kills
    own = sum(load.own_run for load in loads)
    share = own / len(loads) if loads else 0.0
    twice = sum(load.twice for load in everything)
    lost = sum(load.lost for load in everything)
    twice_emails = sum(load.twice > 0 for load in everything)
    calls = [int(j["calls"]) for load in loads for j in jobs_of(load, heal=False)]
    polls = [int(j["polls"]) for load in loads for j in jobs_of(load, heal=False)]
    heal_calls = [int(j["calls"]) for load in loads for j in jobs_of(load, heal=True)]
    heal_polls = [int(j["polls"]) for load in loads for j in jobs_of(load, heal=True)]
    kill_calls = [int(j["calls"]) for load in kills for j in jobs_of(load, heal=False)]
    kill_polls = [int(j["polls"]) for load in kills for j in jobs_of(load, heal=False)]
    kill_jobs = [
        float(load.last["timings"].get("jobs", 0.0))
        for load in kills
        if load.killed and load.last is not None
    ]
    really_killed = sum(load.killed for load in kills)
    finished_kills = sum(
        1
        for load in kills
        if load.last and load.last["failed"] == 0 and load.last["reconciles"] is True
    )
    mark = {True: "✓", False: "✗"}
    faults = ", ".join(f"{k}={v}" for k, v in FAULTS.items())
    out = [
        "# hubload fault soak (issue 10's scale)",
        "",
        f"{meta['machine']}; started {meta['started']} UTC, took {meta['minutes']:.0f} min; "
        f"sandbox seed {meta['seed']}.",
        f"Load average (1, 5, 15 min): before {meta['load_before']}, after {meta['load_after']}.",
        "",
        "## Setup",
        "",
        f"* Sandbox (Open Connectors face, one for the whole soak, served from the driver's "
        f"process): {faults}.",
        f"* One `prefect server start`; one hubload home shared by every load; one load at a "
        f"time; `--chunk-size {CHUNK_SIZE}`, other options at their defaults.",
        f"* {len(loads)} loads of {meta['rows']:,} rows, cycling through "
        f"{', '.join(KINDS)} (upserts on `--external-id Email`).",
        f"* {len(kills)} loads ({', '.join(KILL_KINDS)}, alternately) to be killed with SIGKILL "
        f"after a random 3-12 s: {really_killed} were still running and killed; then "
        f"`hubload resume RUN_ID` until settled (at most {MAX_RESUMES} resumes).",
        f"* Each file: its own emails, about {BAD_SHARE:.0%} of rows a bad email (rejected "
        "before sending).",
        "",
        "## Against issue 10's goals",
        "",
        "| goal | target | measured |",
        "|---|---|---|",
        f"| rows loaded twice, in any order of resume | 0 | {twice:,} extra records "
        f"({twice_emails} loads with any) {mark[twice == 0]}; rows lost: {lost:,}; "
        f"records of no load: {stray:,} |",
        f"| loads finishing in their own run under the fault mix, no user action | ≥ 95% | "
        f"{own} of {len(loads)} = {share:.0%} {mark[share >= 0.95]} |",
        f"| target calls per {CHUNK_SIZE // 1000}k-row chunk, plus the status polls | ≤ 10 | "
        f"{stats(calls)} {mark[bool(calls) and max(calls) <= 10]} |",
        "",
        f"Calls are over the file's chunks of the {len(loads)} loads' own runs (`jobs` of each "
        f"summary numbered below {HEAL_BASE:,}). Beside them:",
        "",
        f"* status polls per chunk (not in the calls): {stats(polls)};",
        f"* healing jobs (failed rows sent again within the run, chunks numbered from "
        f"{HEAL_BASE:,}): calls {stats(heal_calls, 'heal jobs')}; polls "
        f"{stats(heal_polls, 'heal jobs')};",
        f"* killed loads, their last resume's chunks: calls {stats(kill_calls)}; polls "
        f"{stats(kill_polls)};",
        f"* killed loads ending with no failed row and reconciling: {finished_kills} of "
        f"{len(kills)}; seconds in the resume's jobs step (it first waits for the killed run's "
        f"slot on the target object, a 60 s lease): "
        + (
            f"median {statistics.median(kill_jobs):.1f}, range {min(kill_jobs):.1f}-"
            f"{max(kill_jobs):.1f}"
            if kill_jobs
            else "-"
        )
        + ".",
        "* each killed load was resumed right after its kill, before the next load started: "
        "one order of resume, not every order.",
        "",
        "## Per load",
        "",
        "exit codes: the first run's, then each resume's (`killed`: SIGKILLed by the soak); wall: "
        "each process's seconds; counts, `reconciles`, audit, healing and jobs: the last summary "
        "(the first run's, or the last resume's); records twice / lost: from the sandbox's "
        "records after the soak.",
        "",
        *load_rows(everything),
    ]
    notes = [
        f"* {load.label}: " + "; ".join(a.note for a in load.attempts if a.note)
        for load in everything
        if any(a.note for a in load.attempts)
    ]
    if notes:
        out += ["", "## Notes", "", *notes]
    problems = [
        f"* {load.label} ({load.kind}): failed {cell(load.last, 'failed')}, reconciles "
        f"{cell(load.last, 'reconciles')}, audit {cell(load.last, 'audit')}: "
        + (load.last["audit"]["note"] if load.last else "no summary")
        + "; discrepancies: "
        + (json.dumps(load.last["discrepancies"]) if load.last else "-")
        for load in loads
        if not load.own_run
    ]
    if problems:
        out += ["", "## Loads that did not finish in their own run", "", *problems]
    failed = [
        f"* {load.label} ({load.kind}): {cell(load.last, 'failed')} rows in failed.csv, "
        f"{load.failed_at_target:,} of them at the target all the same (by email); commonest "
        "errors: " + "; ".join(f"`{reason}` x{n:,}" for reason, n in load.reasons)
        for load in everything
        if load.reasons
    ]
    if failed:
        out += ["", "## Failed rows (each load's last failed.csv)", "", *failed]
    return "\n".join(out) + "\n"


# -- main -----------------------------------------------------------------------------------


@contextlib.contextmanager
def soak_sandbox(folder: Path, seed: int) -> Iterator[RunningSandbox]:
    config = SandboxConfig(db_path=folder / "sandbox.db", seed=seed, **FAULTS)
    with start_sandbox(config) as sandbox:
        yield sandbox


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--loads", type=int, default=18, help="loads run to their end")
    parser.add_argument("--kills", type=int, default=10, help="loads killed and resumed")
    parser.add_argument("--rows", type=int, default=100_000, help="rows per file")
    parser.add_argument("--seed", type=int, default=2026, help="the sandbox's and files' seed")
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    started, clock = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), time.monotonic()
    meta: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "started": started,
        "seed": args.seed,
        "rows": args.rows,
        "load_before": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    work = Path(tempfile.mkdtemp(prefix="hubload-fault-soak-"))
    data, logs, home = work / "data", work / "logs", work / "home"
    for folder in (data, logs):
        folder.mkdir()
    kinds = list(KINDS)
    loads = [
        Load(f"l{n:02d}", kinds[n % len(kinds)], Path(), args.rows, 0) for n in range(args.loads)
    ]
    kills = [
        Load(f"k{n:02d}", KILL_KINDS[n % len(KILL_KINDS)], Path(), args.rows, 0, rng.uniform(3, 12))
        for n in range(args.kills)
    ]
    say(f"making {len(loads) + len(kills)} files of {args.rows:,} rows in {data}")
    for n, load in enumerate(loads + kills):
        load.path, load.bad = make_file(data, load.label, args.rows, args.seed + n)
    stray = 0
    try:
        say(f"starting prefect server (work in {work})")
        with (
            prefect_server(work / "prefect-server") as (api, _),
            soak_sandbox(work, args.seed) as sb,
        ):
            env = base_env(
                PREFECT_API_URL=api,
                PREFECT_HOME=str(work / "prefect-client"),
                HUBLOAD_HOME=str(home),
                HUBLOAD_BASE_URL=sb.base_url,
                HUBLOAD_AUTHORIZATION=sb.authorization,
                HUBLOAD_INSTANCE_NAME="soak-sandbox",
            )
            for load in loads + kills:
                run_load(load, env, logs)
                say(describe(load))
            stray = count_records(sb, loads + kills)
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    meta["minutes"] = (time.monotonic() - clock) / 60
    meta["load_after"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    text = report(loads, kills, stray, meta)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as exc:
        raise SystemExit(f"benchmark failed: {exc}") from None
