"""The processes ``load_benchmark.py`` times: each does one measured thing and writes what it saw,
with its own peak memory, as JSON to the file named by ``BENCH_RESULT``.

    bench_children.py hubload ARGS...      the hubload command line (``hubload ARGS...``)
    bench_children.py naive FILE [ARGS]    benchmarks/naive_flow.py's flow
    bench_children.py trivial              a one-task Prefect flow
    bench_children.py floor-oc ...         raw Open Connectors uploads of ready chunks, polled
    bench_children.py floor-sf ...         raw Bulk API 2.0 ingest jobs of ready chunks, polled
    bench_children.py pandas FILE OUT      pandas reading the file and writing it back

Peak memory is the process's own high-water mark (``VmHWM`` in ``/proc/self/status``), read
just before it exits: ``ru_maxrss`` of a child, as its parent reads it, inherits the parent's.
The Prefect flows run with heartbeats off, as the tests run them (each sync flow call pays
about a second to stop its heartbeat thread otherwise, and the setting cannot be turned off
from the environment).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.1
"""The floor's polling: a brisk client, so that the floor is the target's own time."""


def peak_mib() -> float:
    """This process's own peak resident memory (``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class Clock:
    """The measured work's clock, started on creation."""

    def __init__(self) -> None:
        self.started_at = time.time()  # wall clock: the driver tells start-up from it
        self._started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds since the work started."""
        return time.perf_counter() - self._started


def report(clock: Clock, **values: Any) -> None:
    """Write the measure's values, its work's time and this process's peak memory where the
    driver reads them (with when the work started and ended, to tell the process's start-up
    and exit from its work)."""
    values.setdefault("call_seconds", clock.seconds())
    values.update(peak_mib=peak_mib(), work_started_at=clock.started_at, ended_at=time.time())
    Path(os.environ["BENCH_RESULT"]).write_text(json.dumps(values))


def without_heartbeats() -> AbstractContextManager[Any]:
    """Prefect's settings with flow-run heartbeats off, for the block."""
    from prefect.settings import (  # noqa: PLC0415 - after the CLI's environment is set
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def run_hubload(args: list[str]) -> None:
    """``hubload ARGS``, as the console script runs it (its environment set before Prefect is
    imported, as ``run_flow`` sets it for a command without ``--verbose``). The flow's module
    (Prefect, hubload) is imported before the clock starts, as the naive flow's is: the
    process's wall time counts every import."""
    from cli.environment import prepare_prefect  # noqa: PLC0415

    prepare_prefect(console_level="WARNING")
    from cli.main import main  # noqa: PLC0415
    from flows import load  # noqa: F401, PLC0415 - imported before the clock, as the peers' are

    sys.argv = ["hubload", *args]
    code: int | str | None = 0
    clock = Clock()
    with without_heartbeats():
        try:
            main()
        except SystemExit as stop:
            code = stop.code
    report(clock, exit_code=code)
    sys.exit(code)


def run_naive(args: list[str]) -> None:
    """The naive flow on the command line's file (``naive_flow.py``'s own arguments)."""
    import naive_flow  # noqa: PLC0415 - its imports (Prefect, pandas, pandera) are its cost

    clock = Clock()
    with without_heartbeats():
        counts = naive_flow.run(args)
    report(clock, counts=counts)


def run_trivial() -> None:
    """A one-task Prefect flow: what any flow run costs."""
    from prefect import flow, task  # noqa: PLC0415

    @task
    def one() -> int:
        return 1

    @flow
    def trivial() -> int:
        return one()

    clock = Clock()
    with without_heartbeats():
        trivial()
    report(clock)


def _in_parallel(
    send: Callable[[Path], dict[str, int]], chunks: list[Path], concurrency: int
) -> dict[str, int]:
    """Send every chunk, ``concurrency`` at a time; the summed counts."""
    totals = {"jobs": 0, "records": 0, "failed": 0}
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for counts in pool.map(send, chunks):
            for key, value in counts.items():
                totals[key] += value
    return totals


def run_floor_oc(base_url: str, authorization: str, concurrency: int, chunks: list[Path]) -> None:
    """Each chunk uploaded to Contact through the Open Connectors face and polled to its end."""
    import httpx  # noqa: PLC0415

    headers = {"Authorization": authorization}
    with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:

        def send(chunk: Path) -> dict[str, int]:
            with chunk.open("rb") as handle:
                answer = client.post(
                    "/hubs/helpdesk/bulk/Contact",
                    params={"path": f"/{chunk.name}"},
                    files={"file": (chunk.name, handle, "text/csv")},
                )
            answer.raise_for_status()
            job_id = answer.json()["id"]
            while True:
                status = client.get(f"/hubs/helpdesk/bulk/{job_id}/status").json()
                if status["status"] not in ("CREATED", "STARTED", "RUNNING"):
                    break
                time.sleep(POLL_SECONDS)
            if status["status"] != "COMPLETED":
                raise RuntimeError(f"job {job_id} ended {status}")
            return {
                "jobs": 1,
                "records": int(status["recordsCount"]),
                "failed": int(status["recordsFailedCount"]),
            }

        clock = Clock()
        totals = _in_parallel(send, chunks, concurrency)
        seconds = clock.seconds()
    report(clock, call_seconds=seconds, **totals)


def run_floor_sf(instance_url: str, token: str, concurrency: int, chunks: list[Path]) -> None:
    """Each chunk a Bulk API 2.0 insert job into Contact (create, PUT, close), polled to its
    end, through the Salesforce face."""
    import httpx  # noqa: PLC0415

    base = f"{instance_url}/services/data/v62.0/jobs/ingest"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=300) as client:

        def send(chunk: Path) -> dict[str, int]:
            job = {"object": "Contact", "operation": "insert", "lineEnding": "CRLF"}
            created = client.post("", json=job)
            created.raise_for_status()
            job_id = created.json()["id"]
            with chunk.open("rb") as handle:
                put = client.put(
                    f"/{job_id}/batches",
                    content=handle,
                    headers={"Content-Type": "text/csv; charset=UTF-8"},
                )
            put.raise_for_status()
            client.patch(f"/{job_id}", json={"state": "UploadComplete"}).raise_for_status()
            while (info := client.get(f"/{job_id}").json())["state"] in (
                "Open",
                "UploadComplete",
                "InProgress",
            ):
                time.sleep(POLL_SECONDS)
            if info["state"] != "JobComplete":
                raise RuntimeError(f"job {job_id} ended {info}")
            return {
                "jobs": 1,
                "records": int(info["numberRecordsProcessed"]),
                "failed": int(info["numberRecordsFailed"]),
            }

        clock = Clock()
        totals = _in_parallel(send, chunks, concurrency)
        seconds = clock.seconds()
    report(clock, call_seconds=seconds, **totals)


def run_pandas(file: str, out: str) -> None:
    """pandas' pyarrow engine reading every column as text, then ``to_csv``: the pandas floor.
    (It skips the ragged rows: pandas cannot keep them and say so.)"""
    import pandas as pd  # noqa: PLC0415

    clock = Clock()
    frame = pd.read_csv(
        file,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        engine="pyarrow",
        on_bad_lines="skip",
    )
    read = clock.seconds()
    frame.to_csv(out, index=False)
    report(clock, read_seconds=read, rows=len(frame))


@contextmanager
def _usage() -> Iterator[None]:
    try:
        yield
    except (IndexError, ValueError):
        raise SystemExit(__doc__) from None


def main() -> None:
    """Run the measure the first argument names."""
    with _usage():
        what, args = sys.argv[1], sys.argv[2:]
        if what == "hubload":
            run_hubload(args)
        elif what == "naive":
            run_naive(args)
        elif what == "trivial":
            run_trivial()
        elif what in ("floor-oc", "floor-sf"):
            url, secret, concurrency, *chunks = args
            floor = run_floor_oc if what == "floor-oc" else run_floor_sf
            floor(url, secret, int(concurrency), [Path(c) for c in chunks])
        elif what == "pandas":
            run_pandas(*args)
        else:
            raise ValueError(what)


if __name__ == "__main__":
    main()
