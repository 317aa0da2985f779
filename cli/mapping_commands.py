"""``hubload mapping convert|init``: Data Loader's .sdl as YAML, and a starting mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.environment import target_settings
from cli.targets import HubOption, TargetOption, connect_target
from hubload.dataloader_import import import_jobs
from hubload.errors import ConfigError
from hubload.plan import check_inputs
from schemas.automap import auto_map
from schemas.dataloader import (
    Severity,
    convert,
    extract_evidence,
    interpret_load,
    read_process_conf,
    read_properties,
)
from schemas.mapping import MappingError

out = Console()
err = Console(stderr=True)
mapping_app = typer.Typer(
    help="Mapping files: convert Data Loader's .sdl, or start one from a file's header.",
    no_args_is_help=True,
)
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write it here (default: print it).")
]
ForceOption = Annotated[bool, typer.Option(help="Replace the output file if it exists.")]


def write_out(text: str, output: Path | None, *, force: bool) -> None:
    """Print ``text``, or write it to ``output`` (never over a file without ``force``).

    Raises:
        ConfigError: the output exists (without ``force``) or cannot be written.
    """
    if output is None:
        out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        return
    if output.exists() and not force:
        raise ConfigError(f"{output} exists: give another name, or --force to replace it")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{output}: cannot write it ({exc.strerror or exc})") from exc
    err.print(f"wrote {output}")


@mapping_app.command("convert")
def convert_sdl(
    file: Annotated[Path, typer.Argument(metavar="FILE.sdl", help="A Data Loader mapping.")],
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Write the YAML mapping a Data Loader .sdl file means, with what Data Loader does silently
    (dead lines, a constant beating a column...) as comments to read."""
    try:
        properties = read_properties(file)
        direction = extract_evidence(properties)
        if direction.is_extract:
            raise ConfigError(f"{file}: {direction.reason}")
        conversion = convert(interpret_load(properties))
    except MappingError as exc:
        raise ConfigError(str(exc)) from exc
    for diagnostic in conversion.diagnostics:
        if diagnostic.severity is not Severity.INFO:
            err.print(
                f"[yellow]{diagnostic.severity}:[/yellow] {file.name}: line {diagnostic.line}: "
                f"{diagnostic.message}",
                highlight=False,
                soft_wrap=True,
            )
    write_out(conversion.text(), output, force=force)


@mapping_app.command("init")
def init_mapping(
    file: Annotated[Path, typer.Argument(metavar="CSV", help="The file to map.")],
    object_name: Annotated[str, typer.Option("--object", help="Target object, e.g. Contact.")],
    target: TargetOption = None,
    hub: HubOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Write a starting mapping from the file's header and the object's fields: exact names,
    then names ignoring case and punctuation, then labels (as Data Loader's auto-match)."""
    _, _, header = check_inputs(file)
    with target_settings(err, kind=target) as kind:
        client = connect_target(kind, hub)
        try:
            spec = client.describe(object_name)
        finally:
            client.close()
    result = auto_map(header, spec)
    if result.unmatched_columns:
        err.print(f"not matched: {', '.join(result.unmatched_columns)}", highlight=False)
    if result.required_unmatched:
        err.print(
            f"[yellow]required, with no column:[/yellow] {', '.join(result.required_unmatched)}",
            highlight=False,
        )
    write_out(result.text(), output, force=force)


def import_dataloader(
    conf: Annotated[Path, typer.Argument(metavar="process-conf.xml", help="Data Loader's jobs.")],
    config_dir: Annotated[
        Path | None,
        typer.Option(help="Where its .sdl files and config.properties are (default: its folder)."),
    ] = None,
    inbox: Annotated[
        str, typer.Option(help="The inbox the nightly run reads.")
    ] = "~/.hubload/inbox",
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Turn every CSV load job of a Data Loader process-conf.xml into a nightly source (object,
    operation, external id, mapping, encoding, batch size, serial mode, insert nulls, time zone,
    European dates, truncation, start row). The encrypted password is never imported: save the
    org's credential as a block; what a job cannot carry over is listed."""
    folder = config_dir or conf.parent
    defaults = folder / "config.properties"
    try:
        parsed = read_process_conf(conf, config_properties=defaults if defaults.exists() else None)
    except MappingError as exc:
        raise ConfigError(str(exc)) from exc
    where = (output.parent if output else Path.cwd()).resolve()
    imported = import_jobs(parsed, folder, where)
    for job in imported.jobs:
        state = "imported" if job.source is not None else "[yellow]not imported[/yellow]"
        err.print(f"{job.name}: {state}", highlight=False)
        for note in job.notes:
            err.print(f"  - {note}", highlight=False, soft_wrap=True)
    for credential in imported.credentials:
        err.print(f"[yellow]credential:[/yellow] {credential}", highlight=False, soft_wrap=True)
    write_out(imported.text(inbox, conf.name), output, force=force)
