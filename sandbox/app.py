"""The Starlette application: Open Connectors' bulk API under `/elements/api-v2`, and the
Salesforce face (OAuth, REST describe, Bulk API 2.0) at the instance root."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import handlers_jobs, handlers_listing, handlers_upload
from sandbox.catalogue import object_names
from sandbox.context import SandboxContext, hub_call
from sandbox.errors import (
    api_error_handler,
    http_error_handler,
    install_log_filter,
    unexpected_error_handler,
)
from sandbox.exceptions import ApiError
from sandbox.sf.routes import salesforce_routes

API_PREFIX = "/elements/api-v2"


async def list_objects(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`GET /hubs/{hub}/objects`."""
    return JSONResponse(object_names(hub))


async def object_metadata(request: Request, ctx: SandboxContext, hub: str) -> Response:
    """`GET /hubs/{hub}/objects/{object}/metadata`."""
    spec = ctx.object_or_404(hub, request.path_params["object"])
    return JSONResponse(spec.metadata())


async def ping(request: Request) -> Response:
    """`GET /ping`: the sandbox's own liveness check (not part of the platform's API)."""
    return JSONResponse({"status": "ok"})


def _routes() -> list[Route]:
    hub = API_PREFIX + "/hubs/{hub}"
    bulk = hub + "/bulk"
    return [
        Route(API_PREFIX + "/ping", ping, methods=["GET"]),
        Route(hub + "/objects", hub_call(list_objects), methods=["GET"]),
        Route(hub + "/objects/{object}/metadata", hub_call(object_metadata), methods=["GET"]),
        Route(bulk + "/query", hub_call(handlers_jobs.create_query), methods=["POST"]),
        # Before `/bulk/{object}` (POST only): `jobs` is no object, and GET is the listing.
        Route(bulk + "/jobs", hub_call(handlers_listing.list_jobs), methods=["GET"]),
        Route(bulk + "/{object}", hub_call(handlers_upload.upload), methods=["POST"]),
        Route(bulk + "/{job_id}/status", hub_call(handlers_jobs.job_status), methods=["GET"]),
        Route(bulk + "/{job_id}/errors", hub_call(handlers_jobs.job_errors), methods=["GET"]),
        Route(bulk + "/{job_id}/cancel", hub_call(handlers_jobs.cancel_job), methods=["PUT"]),
        Route(bulk + "/{job_id}/{object}", hub_call(handlers_jobs.download), methods=["GET"]),
        *salesforce_routes(),
    ]


def create_app(ctx: SandboxContext) -> Starlette:
    """The ASGI application serving one sandbox."""
    install_log_filter()
    app = Starlette(
        routes=_routes(),
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
    )
    app.state.sandbox = ctx
    return app
