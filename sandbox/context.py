"""What request handlers share, and the wrapper every hub call goes through."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sandbox.auth import check_authorization
from sandbox.catalogue import HUBS, resolve_object
from sandbox.config import SandboxConfig
from sandbox.exceptions import ApiError
from sandbox.faults import RequestFaults
from sandbox.fields import ObjectSpec
from sandbox.jobs import Job
from sandbox.runner import JobRunner
from sandbox.sf.tokens import Tokens
from sandbox.store import Store

HubHandler = Callable[[Request, "SandboxContext", str], Awaitable[Response]]
_MAX_JOB_ID_DIGITS = 18


@dataclass(frozen=True)
class SandboxContext:
    """What the handlers share: settings, storage, the job runner, the fault dice and the
    Salesforce face's tokens."""

    config: SandboxConfig
    store: Store
    runner: JobRunner
    faults: RequestFaults
    files_dir: Path
    tokens: Tokens

    def object_or_404(self, hub: str, name: str) -> ObjectSpec:
        """The object `name` of `hub`.

        Raises:
            ApiError: 404 when the hub has no such object.
        """
        spec = resolve_object(hub, name)
        if spec is None:
            raise ApiError(404, f"No object named '{name}' in hub '{hub}'")
        return spec

    async def job_or_404(self, hub: str, raw_id: str) -> Job:
        """The job `raw_id` if it belongs to `hub`.

        Raises:
            ApiError: 404 for a malformed id, an unknown job or a job of another hub.
        """
        job = None
        if raw_id.isdigit() and len(raw_id) <= _MAX_JOB_ID_DIGITS:
            job = await run_in_threadpool(self.store.job, int(raw_id))
        if job is None or job.hub != hub:
            raise ApiError(404, f"No bulk job with id '{raw_id}' in hub '{hub}'")
        return job


def hub_call(handler: HubHandler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a hub handler: latency and faults first, then auth, then the hub's existence."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        ctx: SandboxContext = request.app.state.sandbox
        await ctx.faults.before_hub_call()
        check_authorization(request.headers.get("authorization"), ctx.config)
        hub = request.path_params["hub"]
        if hub not in HUBS:
            raise ApiError(404, f"No hub named '{hub}'")
        return await handler(request, ctx, hub)

    return endpoint
