"""The ``hubload`` command line: load files, finish runs, look at the target, run the sandbox."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from cli import targets as runner_targets
from cli.common import EXIT_USAGE, err, exit_code_for
from cli.environment import prepare_prefect
from cli.load_command import load
from cli.mapping_commands import import_dataloader, mapping_app
from cli.recovery import reprocess, resume
from cli.runs import runs_app_commands
from hubload.errors import HubloadError
from sandbox.cli import sandbox_command

app = typer.Typer(
    name="hubload",
    help="Load CSV files into a CRM through its bulk API (Salesforce Bulk API 2.0 or SAP Open "
    "Connectors), as Prefect flows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(load)
app.command()(resume)
app.command()(reprocess)


@app.command()
def serve(
    nightly_config: Annotated[
        Path, typer.Option(help="The nightly loads' configuration (inbox, sources, schedule).")
    ] = Path("deployments/nightly.yaml"),
    target_block: Annotated[
        str | None,
        typer.Option(help="hubload-target block with the credentials (default: environment)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Most flow runs at once.")] = None,
) -> None:
    """Serve the load and nightly deployments from this process (Ctrl+C stops; schedules stay)."""
    prepare_prefect()
    from deployments.serve import serve_all  # noqa: PLC0415

    serve_all(nightly_config, target_block, limit=limit)


app.command("sandbox")(sandbox_command)
runner_targets.register(app)
app.add_typer(mapping_app, name="mapping")
app.command("import-dataloader")(import_dataloader)
runs_app_commands(app)


def main() -> None:
    """Entry point of the ``hubload`` console script: every error becomes one line."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # typer's own click: usage errors and bad parameters
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc}")
        sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)))
    except HubloadError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exit_code_for(exc))
    except ValidationError as exc:  # a HUBLOAD_* setting of the wrong shape
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        err.print(f"[red]error:[/red] setting {where}: {first['msg']}", highlight=False)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
