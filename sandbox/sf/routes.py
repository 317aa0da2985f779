"""The Salesforce face's routes, at the instance root (`/services/...`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.sf import describe, ingest, oauth, query_jobs, results
from sandbox.sf.api import sf_call, versions

Endpoint = Callable[[Request], Awaitable[Response]]


def _both(path: str, endpoint: Endpoint, methods: list[str]) -> list[Route]:
    """The route with and without a trailing slash (Salesforce documents some paths with one;
    clients ask for both, and a redirect would not be followed by all)."""
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


def salesforce_routes() -> list[Route]:
    """OAuth, the versions list, describe, and Bulk API 2.0 ingest and query jobs."""
    data = "/services/data"
    version = data + "/{version}"
    ingest_jobs = version + "/jobs/ingest"
    query = version + "/jobs/query"
    return [
        Route("/services/oauth2/token", oauth.token, methods=["POST"]),
        Route("/services/oauth2/revoke", oauth.revoke, methods=["POST"]),
        *_both(data, versions, ["GET"]),
        *_both(version + "/sobjects", sf_call(describe.list_sobjects), ["GET"]),
        *_both(version + "/sobjects/{object}/describe", sf_call(describe.describe), ["GET"]),
        *_both(ingest_jobs, sf_call(ingest.create), ["POST"]),
        *_both(ingest_jobs, sf_call(ingest.listing), ["GET"]),
        Route(ingest_jobs + "/{job_id}/batches", sf_call(ingest.upload), methods=["PUT"]),
        *_both(ingest_jobs + "/{job_id}", sf_call(ingest.get), ["GET"]),
        *_both(ingest_jobs + "/{job_id}", sf_call(ingest.patch), ["PATCH"]),
        *_both(ingest_jobs + "/{job_id}", sf_call(ingest.remove), ["DELETE"]),
        *_both(ingest_jobs + "/{job_id}/{kind}", sf_call(results.results), ["GET"]),
        *_both(query, sf_call(query_jobs.create), ["POST"]),
        *_both(query, sf_call(query_jobs.listing), ["GET"]),
        *_both(query + "/{job_id}", sf_call(query_jobs.get), ["GET"]),
        *_both(query + "/{job_id}", sf_call(query_jobs.patch), ["PATCH"]),
        *_both(query + "/{job_id}", sf_call(query_jobs.remove), ["DELETE"]),
        *_both(query + "/{job_id}/results", sf_call(query_jobs.results), ["GET"]),
    ]
