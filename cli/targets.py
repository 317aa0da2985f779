"""``hubload objects|describe|status`` and the block commands: looking at a target, saving one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cli.environment import prepare_prefect, target_settings
from hubload.settings import Settings
from hubload.targets import Target, TargetKind, config_from_env, connect
from hubload.targets.open_connectors.settings import OpenConnectorsSettings
from hubload.targets.salesforce import SalesforceConfig
from schemas.catalog import FieldSpec

out = Console()
err = Console(stderr=True)

HubOption = Annotated[
    str | None,
    typer.Option(
        "--hub", help="Open Connectors hub of the object (default: HUBLOAD_HUB or helpdesk)."
    ),
]
TargetOption = Annotated[
    TargetKind | None,
    typer.Option(
        "--target",
        help="open-connectors or salesforce (default: HUBLOAD_TARGET, else the one configured).",
    ),
]


def default_hub() -> str:
    """The Open Connectors hub when none is named (``HUBLOAD_HUB``, else helpdesk)."""
    return OpenConnectorsSettings().hub


def connect_target(kind: TargetKind | None, hub: str | None) -> Target:
    """A new target of the environment (close it when done)."""
    return connect(config_from_env(kind, hub=hub), timeout=Settings().timeout())


def objects(hub: HubOption = None, target: TargetOption = None) -> None:
    """List the target's objects."""
    with target_settings(err, kind=target) as kind:
        client = connect_target(kind, hub)
        try:
            names = client.list_objects()
        finally:
            client.close()
    for name in names:
        out.print(name)


def describe(
    object_name: Annotated[str, typer.Argument(metavar="OBJECT")],
    hub: HubOption = None,
    target: TargetOption = None,
) -> None:
    """Show an object's fields: type, length, required, writable, picklist values."""
    from rich import box  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    with target_settings(err, kind=target) as kind:
        client = connect_target(kind, hub)
        try:
            spec = client.describe(object_name)
            where = str(client.identity)
        finally:
            client.close()
    table = Table(title=f"{spec.name} of {where}", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("field", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("length", justify="right", no_wrap=True)
    table.add_column("marks", no_wrap=True)
    table.add_column("values", overflow="fold")
    for f in spec.fields.values():
        native = f.native_type + (f" -> {', '.join(f.reference_to)}" if f.reference_to else "")
        values = ", ".join(f.picklist[:8]) + (" ..." if len(f.picklist) > 8 else "")
        table.add_row(f.name, native, str(f.length or ""), " ".join(marks(f)), values)
    out.print(table)
    out.print(
        "marks: required (on insert), ext-id (external id: an upsert key), unique, "
        "restricted (only the listed values), read-only, insert-only, update-only"
    )


def marks(spec: FieldSpec) -> list[str]:
    """What a field's row in ``describe`` says of it, in words."""
    found = []
    if spec.required:
        found.append("required")
    if spec.external_id:
        found.append("ext-id")
    if spec.unique:
        found.append("unique")
    if spec.restricted_picklist:
        found.append("restricted")
    if spec.read_only:
        found.append("read-only")
    elif spec.createable and not spec.updateable:
        found.append("insert-only")
    elif spec.updateable and not spec.createable:
        found.append("update-only")
    return found


def status(
    job_id: Annotated[str, typer.Argument(metavar="JOB_ID")],
    hub: HubOption = None,
    target: TargetOption = None,
) -> None:
    """Show a bulk job's status and counts."""
    with target_settings(err, kind=target) as kind:
        client = connect_target(kind, hub)
        try:
            current = client.status(job_id)
        finally:
            client.close()
    out.print(
        f"job {current.job_id}: {current.raw_status} - records {current.records_count}, "
        f"failed {current.failed_count}" + (f" - {current.message}" if current.message else "")
    )


blocks = typer.Typer(help="Prefect block types of hubload.", no_args_is_help=True)
target_app = typer.Typer(
    help="Saved targets (Prefect blocks holding credentials).", no_args_is_help=True
)


@blocks.command("register")
def register_blocks() -> None:
    """Register hubload's target block types with the Prefect API."""
    prepare_prefect()
    from tasks.blocks import BLOCK_TYPES  # noqa: PLC0415

    for block_type in BLOCK_TYPES.values():
        block_type.register_type_and_schema()
        out.print(f"registered block type {block_type.get_block_type_slug()}")


@target_app.command("save")
def save_target(
    name: Annotated[
        str, typer.Argument(help="Block name, e.g. hubload-target.")
    ] = "hubload-target",
    target: TargetOption = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a block of that name.")] = False,
) -> None:
    """Save the environment's target (its URL and credentials) as a block of its kind.

    The secrets are read from the environment (or .env), never from the command line.
    """
    prepare_prefect()
    from tasks.blocks import OpenConnectorsTarget, SalesforceTarget  # noqa: PLC0415

    config = config_from_env(target or Settings().target)
    block: OpenConnectorsTarget | SalesforceTarget
    if isinstance(config, SalesforceConfig):
        block = SalesforceTarget(**config.model_dump(exclude={"kind"}))
        where = config.instance_url or config.login_url
    else:
        block = OpenConnectorsTarget(
            **config.model_dump(exclude={"kind", "credentials"}),
            **config.credentials.model_dump(),
        )
        where = config.base_url
    block.save(name, overwrite=overwrite)
    out.print(f"saved {config.kind} target {name} ({where})")


def register(app: typer.Typer) -> None:
    """Add these commands to the main app."""
    app.command()(objects)
    app.command()(describe)
    app.command()(status)
    app.add_typer(blocks, name="blocks")
    app.add_typer(target_app, name="target")
