"""What ingest and query jobs share on the Salesforce face: abort, delete, and the job lists
(Salesforce's Get All Jobs), oldest first with a `nextRecordsUrl` cursor."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.context import SandboxContext
from sandbox.exceptions import ApiError
from sandbox.jobs import Face, Job, JobKind, JobStatus
from sandbox.querying import result_path
from sandbox.sf.api import check_version
from sandbox.sf.jobinfo import STATES, job_info
from sandbox.sf.locators import make_locator, read_locator

HUB = "helpdesk"
_DELETABLE = (JobStatus.CREATED, JobStatus.COMPLETED, JobStatus.ERROR, JobStatus.CANCELLED)
_JOB_TYPES = {"upload": "V2Ingest", "query": "V2Query"}


def invalid_state(message: str) -> ApiError:
    """400 INVALIDJOBSTATE: the job's state does not allow the call."""
    return ApiError(400, message, error_code="INVALIDJOBSTATE")


def _abort_sync(ctx: SandboxContext, job: Job) -> Job:
    # An Open job is no worker's: it is aborted here. Otherwise the runner stops its worker.
    aborted = ctx.store.set_status(
        job.id, JobStatus.CANCELLED, from_=(JobStatus.OPEN,)
    ) or ctx.runner.cancel(job.id)
    current = ctx.store.job(job.id) or job
    if not aborted:
        raise invalid_state(f"Aborting a job in state {STATES[current.status]} is not allowed")
    return current


async def abort(ctx: SandboxContext, job: Job) -> Response:
    """Abort an Open, UploadComplete or InProgress job: nothing of it is stored.

    Raises:
        ApiError: 400 INVALIDJOBSTATE for a job that already ended.
    """
    return JSONResponse(job_info(await run_in_threadpool(_abort_sync, ctx, job)))


def _delete_sync(ctx: SandboxContext, job: Job) -> None:
    if job.status is JobStatus.CREATED:
        ctx.runner.cancel(job.id)  # not started yet: it never will
    ctx.store.delete_job(job.id)
    if job.file:
        Path(job.file).unlink(missing_ok=True)
    result_path(ctx.files_dir, job.id).unlink(missing_ok=True)


async def delete(ctx: SandboxContext, job: Job) -> Response:
    """Delete a job (UploadComplete, JobComplete, Failed or Aborted) and its data: 204.

    Raises:
        ApiError: 400 INVALIDJOBSTATE for an Open or InProgress job.
    """
    if job.status not in _DELETABLE:
        raise invalid_state(f"Deleting a job in state {STATES[job.status]} is not allowed")
    await run_in_threadpool(_delete_sync, ctx, job)
    return Response(status_code=204)


def _wanted(request: Request, kind: JobKind) -> bool:
    """Whether the list's filters (`jobType`, `concurrencyMode`, `isPkChunkingEnabled`) leave
    the sandbox's jobs in: they are all V2 jobs, in parallel mode, without PK chunking."""
    params = request.query_params
    job_type = params.get("jobType")
    mode = params.get("concurrencyMode")
    chunking = params.get("isPkChunkingEnabled")
    return (
        (job_type is None or job_type == _JOB_TYPES[kind])
        and (mode is None or mode.lower() == "parallel")
        and (chunking is None or chunking.lower() != "true")
    )


async def list_jobs(request: Request, ctx: SandboxContext, kind: JobKind) -> Response:
    """`GET .../jobs/ingest` or `.../jobs/query`: `{"done", "records", "nextRecordsUrl"}`."""
    version = check_version(request.path_params["version"])
    scope = f"jobs-{kind}"
    token = request.query_params.get("queryLocator")
    after = read_locator(token, scope) if token else 0
    size = ctx.config.jobs_page_size
    jobs: list[Job] = []
    if _wanted(request, kind):
        jobs = await run_in_threadpool(
            ctx.store.jobs_after,
            HUB,
            Face.SALESFORCE,
            kind,
            after,
            newest_first=False,
            limit=size + 1,
        )
    page, more = jobs[:size], len(jobs) > size
    path = "ingest" if kind == "upload" else "query"
    return JSONResponse(
        {
            "done": not more,
            "records": [job_info(job) for job in page],
            "nextRecordsUrl": (
                f"/services/data/v{version}/jobs/{path}"
                f"?queryLocator={make_locator(scope, page[-1].id)}"
                if more
                else None
            ),
        }
    )
