"""What is checked before a load sends anything, without Prefect: the object exists (else the
closest names), the operation and the mapping fit it and the file, the match key is a field, and
the file's content was not inserted there before. The CLI runs it before it starts a flow run,
so that a mistake is one line and no failed run; the flow runs the same checks as its steps."""

from __future__ import annotations

from pathlib import Path

from hubload.errors import ApiError, ConfigError, NotFoundError
from hubload.ledger import Ledger, RunStatus
from hubload.operations import OperationKind
from hubload.options import LoadRequest
from hubload.plan import LoadPlan, plan_load
from hubload.targets.base import Target, TargetIdentity
from schemas.catalog import ObjectSpec
from schemas.mapping import suggest
from schemas.values import ValueOptions


def describe(target: Target, object_name: str) -> ObjectSpec:
    """The object's fields; an unknown object names the closest ones the target has.

    Raises:
        ConfigError: no such object (with a "did you mean").
        ApiError: the target could not be asked.
    """
    try:
        return target.describe(object_name)
    except NotFoundError as exc:
        try:
            names = target.list_objects()
        except ApiError:
            names = []
        hint = suggest(object_name, names)
        raise ConfigError(f"{target.identity} has no object {object_name!r}{hint}") from exc


def value_options(request: LoadRequest) -> ValueOptions:
    """How the request's values are read and sent (its Data Loader settings)."""
    return ValueOptions(
        clear_empty=request.insert_nulls,
        timezone=request.timezone,
        dates=request.dates,
        truncate=request.truncate,
    )


def plan_request(target: Target, request: LoadRequest, spec: ObjectSpec) -> LoadPlan:
    """The load's plan: the operation and mapping checked against the object and the file,
    the match key against the fields; the request's value settings and start row carried.

    Raises:
        ConfigError: something does not fit (one line).
        InputFileError: the file cannot be read.
    """
    plan = plan_load(
        Path(request.file).expanduser(),
        spec,
        request.operation_spec(),
        target.capabilities,
        mapping_file=Path(request.mapping).expanduser() if request.mapping else None,
        delimiter=request.delimiter,
        encoding=request.encoding,
        describe=lambda name: describe(target, name),
        values=value_options(request),
        start_row=request.start_row,
    )
    if request.match_key is not None and spec.field_named(request.match_key) is None:
        hint = suggest(request.match_key, list(spec.fields))
        raise ConfigError(f"match key {request.match_key!r} is not a field of {spec.name}{hint}")
    return plan


def refuse_a_second_load(
    book: Ledger, sha: str, identity: TargetIdentity, load_plan: LoadPlan
) -> None:
    """An insert of content already loaded into the same target object is refused: it would
    load every row twice. Other operations set the same values again and are let through.

    Raises:
        ConfigError: such a load exists (named, with its date, and how to go on).
    """
    operation = load_plan.operation.kind
    if operation is not OperationKind.INSERT:
        return
    object_name = load_plan.mapping.target.name
    earlier = book.earlier_load(sha, identity, object_name, operation.value)
    if earlier is None:
        return
    when = earlier.started_at.strftime("%Y-%m-%d %H:%M") if earlier.started_at else "earlier"
    if earlier.status in {RunStatus.RUNNING, RunStatus.FAILED}:
        hint = f"it stopped part-way: resume it (hubload resume {earlier.run_id})"
    else:
        hint = "--force loads it again (every row a second time)"
    raise ConfigError(
        f"{load_plan.file.name} was already loaded into {object_name} by run {earlier.run_id} "
        f"on {when} ({earlier.status}); {hint}"
    )
