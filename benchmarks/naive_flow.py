"""The peer of hubload's load in ``load_benchmark.py``: the flow a user writes in an afternoon.

pandas reads the file in chunks, a pandera schema drops the invalid rows, ``to_csv`` writes the
rest, and a Prefect task uploads each chunk to the Open Connectors bulk endpoint with httpx and
polls its job to the end; up to ``--concurrency`` uploads run at once while the next chunks are
read. It is written to be honest, not slow: one HTTP client for the run, no input hashing of the
upload tasks, the pyarrow-friendly read options.

What it does not do, and hubload does: it knows no line numbers (a rejected row is a pandas index),
it pads a short (ragged) row with empty cells and sends it, it writes no reports, keeps no ledger,
never retries, and cannot tell an upload that was lost from one never made.

    .venv/bin/python benchmarks/naive_flow.py FILE --base-url URL --authorization HEADER \
        [--hub helpdesk] [--object Contact] [--chunk-size 50000] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, cast

import httpx
import pandas as pd
import pandera.pandas as pa
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z"
DATE = r"^\d{4}-\d{2}-\d{2}\Z"
POLL_SECONDS = 0.5
RUNNING = {"CREATED", "STARTED", "RUNNING"}

SCHEMA = pa.DataFrameSchema(
    {
        "FirstName": pa.Column(str, pa.Check.str_length(max_value=40), nullable=True),
        "LastName": pa.Column(str, pa.Check.str_length(1, 80), nullable=False),
        "Email": pa.Column(
            str,
            [pa.Check.str_matches(EMAIL, error="bad email"), pa.Check.str_length(max_value=80)],
            nullable=True,
        ),
        "Title": pa.Column(str, pa.Check.str_length(max_value=128), nullable=True),
        "Phone": pa.Column(str, pa.Check.str_length(max_value=40), nullable=True),
        "MailingCity": pa.Column(str, pa.Check.str_length(max_value=40), nullable=True),
        "Birthdate": pa.Column(str, pa.Check.str_matches(DATE, error="bad date"), nullable=True),
    },
    strict=True,
)


def threads(workers: int) -> TaskRunner[PrefectFuture[Any]]:
    """A pool of ``workers`` threads for the tasks (the cast: Prefect types a flow's runner
    invariantly over its futures)."""
    return cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=workers))


def valid_rows(chunk: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The chunk's rows that pass the schema, and how many did not."""
    try:
        return SCHEMA.validate(chunk, lazy=True), 0
    except pa.errors.SchemaErrors as err:
        bad = err.failure_cases["index"].dropna().unique()
        return chunk.drop(index=bad), len(bad)


@task(cache_policy=NO_CACHE)
def upload(client: httpx.Client, hub: str, object_name: str, number: int, body: bytes) -> Any:
    """Upload one chunk as a bulk job and wait for it; the job's final status."""
    answer = client.post(
        f"/hubs/{hub}/bulk/{object_name}",
        params={"path": f"/chunk-{number}.csv"},
        files={"file": (f"chunk-{number}.csv", body, "text/csv")},
    )
    answer.raise_for_status()
    job_id = answer.json()["id"]
    while True:
        status = client.get(f"/hubs/{hub}/bulk/{job_id}/status")
        status.raise_for_status()
        if status.json()["status"] not in RUNNING:
            return status.json()
        time.sleep(POLL_SECONDS)


@flow(task_runner=threads(4))
def naive_load(
    file: str,
    base_url: str,
    authorization: str,
    hub: str = "helpdesk",
    object_name: str = "Contact",
    chunk_size: int = 50_000,
) -> dict[str, int]:
    """Load a CSV file into an object; the counts: read, rejected, sent, succeeded, failed."""
    counts = dict.fromkeys(("read", "rejected", "sent", "succeeded", "failed", "jobs"), 0)
    futures = []
    headers = {"Authorization": authorization}
    with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:
        reader = pd.read_csv(
            file, chunksize=chunk_size, dtype=str, keep_default_na=False, na_values=[""]
        )
        for number, chunk in enumerate(reader):
            valid, rejected = valid_rows(chunk)
            counts["read"] += len(chunk)
            counts["rejected"] += rejected
            if valid.empty:
                continue
            counts["sent"] += len(valid)
            body = valid.to_csv(index=False).encode()
            futures.append(upload.submit(client, hub, object_name, number, body))
        for future in futures:
            status = future.result()
            if status["status"] not in {"COMPLETED", "COMPLETE"}:
                raise RuntimeError(f"job {status['id']} ended {status['status']}")
            counts["jobs"] += 1
            counts["failed"] += int(status["recordsFailedCount"])
            counts["succeeded"] += int(status["recordsCount"]) - int(status["recordsFailedCount"])
    return counts


def run(argv: list[str] | None = None) -> dict[str, int]:
    """Run the flow on the command line's file (``argv``: ``sys.argv[1:]``); its counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--authorization", required=True)
    parser.add_argument("--hub", default="helpdesk")
    parser.add_argument("--object", dest="object_name", default="Contact")
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    load = naive_load.with_options(task_runner=threads(args.concurrency))
    return load(
        args.file,
        args.base_url,
        args.authorization,
        hub=args.hub,
        object_name=args.object_name,
        chunk_size=args.chunk_size,
    )


def main() -> None:
    """Run the flow on the command line's file and print its counts as JSON."""
    print(json.dumps(run()))


if __name__ == "__main__":
    main()
