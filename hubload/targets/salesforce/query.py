"""Bulk API 2.0 query jobs: run a SOQL query to completion and read its pages of CSV results."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from hubload.errors import FatalApiError
from hubload.http import json_body
from hubload.jobs import PollPolicy, wait_for_job
from hubload.targets.salesforce.api import SalesforceApi
from hubload.targets.salesforce.ingest import job_status

QUERY = "jobs/query"
LOCATOR = "Sforce-Locator"
PAGE_SIZE = 50_000


def quote(value: str) -> str:
    """A SOQL string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def run_query(
    api: SalesforceApi, soql: str, policy: PollPolicy, sleep: Callable[[float], None]
) -> Iterator[dict[str, str]]:
    """The records of a query, page after page (each page a CSV with its own header).

    Raises:
        JobTimeoutError: the query did not finish within the policy's budget.
        FatalApiError: the query job failed.
        ApiError: a call failed.
    """
    answer = json_body(
        api.call(
            "POST",
            QUERY,
            json={"operation": "query", "query": soql},
            retry=True,  # a query changes nothing: a second job of it is harmless
        )
    )
    job_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
    if not job_id:
        raise FatalApiError("Salesforce created a query job but gave no id")
    final = wait_for_job(
        lambda: job_status(json_body(api.call("GET", f"{QUERY}/{job_id}")), job_id),
        job_id,
        policy,
        sleep=sleep,
    )
    if not final.succeeded:
        raise FatalApiError(f"query job {job_id} ended {final.raw_status}: {final.message}")
    locator: str | None = None
    while True:
        params = {"maxRecords": PAGE_SIZE, **({"locator": locator} if locator else {})}
        response = api.call(
            "GET",
            f"{QUERY}/{job_id}/results",
            params=params,
            headers={"Accept": "text/csv"},
            stream=True,
        )
        locator = response.headers.get(LOCATOR)
        with api.spooled_text(response) as text:
            yield from csv.DictReader(text)
        if not locator or locator == "null":
            return
