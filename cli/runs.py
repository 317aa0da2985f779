"""``hubload runs`` and ``hubload show``: what the ledger knows of recent loads."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hubload.ledger import Ledger, RunRecord

out = Console()


def open_ledger() -> Ledger:
    """The ledger of the current settings."""
    from hubload.ledger import Ledger  # noqa: PLC0415 - SQLAlchemy, only for ledger commands

    return Ledger.from_settings()


def runs_app_commands(app: typer.Typer) -> None:
    """Register ``runs``, ``show`` and ``report`` on the main app."""
    app.command("runs")(runs)
    app.command("show")(show)
    app.command("report")(report)


class ReportKind(StrEnum):
    """The row reports of a run."""

    rejected = "rejected"
    failed = "failed"
    success = "success"
    summary = "summary"


def report(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id or Prefect flow-run id (or a prefix).")
    ],
    kind: Annotated[ReportKind, typer.Argument(metavar="REPORT", help="rejected, failed, success")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write it here (default: print it).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace the output file if it exists.")] = False,
) -> None:
    """Print (or save) one of a run's reports: rejected.csv, failed.csv, success.csv (with the
    record ids, where the target gives them) or summary.json."""
    from hubload.reports_store import read_report  # noqa: PLC0415
    from tasks.storage import shared_storage  # noqa: PLC0415

    with open_ledger() as book:
        record = book.run(run)
    if record is None:
        raise typer.BadParameter(f"no run {run!r} in the ledger", param_hint="RUN")
    storage = shared_storage()
    data = read_report(record, kind.value, storage.options if storage else None)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    if output.exists() and not force:
        Console(stderr=True).print(f"[red]error:[/red] {output} exists (--force replaces it)")
        raise typer.Exit(2)
    output.write_bytes(data)
    Console(stderr=True).print(f"wrote {output} ({len(data)} bytes)")


def _counts(run: RunRecord) -> str:
    if run.read is None:
        return "-"
    return f"{run.read} = {run.succeeded} + {run.rejected} + {run.failed}"


def handle(run: RunRecord) -> str:
    """A short name of the run that ``show``, ``resume`` and ``reprocess`` take: its Prefect
    flow run's first eight characters (the run id ends with them), else the whole id."""
    return run.flow_run_id[:8] if run.flow_run_id else run.run_id


def _where(run: RunRecord) -> str:
    identity = run.identity
    place = identity.short if identity is not None else run.target.removeprefix("legacy ")
    return f"{place}/{run.object}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def runs(
    limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List recent loads: status, counts (read = succeeded + rejected + failed), rows remaining."""
    with open_ledger() as book:
        found = book.runs(limit)
        remaining = {r.run_id: book.remaining(r.run_id) for r in found}
    if as_json:
        rows = [
            {
                "run_id": r.run_id,
                "kind": r.kind,
                "parent_run_id": r.parent_run_id,
                "status": r.status,
                "file": r.file,
                "target": r.target,
                "object": r.object,
                "read": r.read,
                "succeeded": r.succeeded,
                "rejected": r.rejected,
                "failed": r.failed,
                "remaining": remaining[r.run_id],
                "started_at": r.started_at.isoformat() if r.started_at else None,
            }
            for r in found
        ]
        out.print_json(json.dumps(rows))
        return
    table = Table(title="recent loads", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    for column, justify in (
        ("started", "left"),
        ("run", "left"),
        ("file", "left"),
        ("target", "left"),
        ("status", "left"),
        ("read = ok + rej + fail", "right"),
        ("left", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for r in found:
        started = r.started_at.strftime("%m-%d %H:%M") if r.started_at else ""
        kind = " (reproc.)" if r.parent_run_id else ""
        table.add_row(
            started,
            handle(r),
            _short(Path(r.file).name, 22),
            _short(_where(r), 24),
            f"{r.status}{kind}",
            _counts(r),
            str(remaining[r.run_id]),
        )
    out.print(table)


def show(
    run: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or a unique prefix).")],
) -> None:
    """Show one run: its file and target, chunks and jobs, children, and rows remaining."""
    with open_ledger() as book:
        record = book.run(run)
        if record is None:
            Console(stderr=True).print(f"[red]error:[/red] no run {run!r} in the ledger")
            raise typer.Exit(2)
        chunks = book.chunks(record.run_id)
        children = book.children(record.run_id)
        left = book.rows(record.run_id, unresolved=False)
    out.print(f"[bold]{record.run_id}[/bold] ({record.kind}) {record.status}")
    out.print(f"file      {record.file}")
    on = f" on {record.external_id}" if record.external_id else ""
    out.print(f"target    {record.target_label} ({record.operation}{on})")
    out.print(f"rows      {_counts(record)}  (read = succeeded + rejected + failed)")
    if record.parent_run_id:
        out.print(f"parent    {record.parent_run_id}")
    if record.flow_run_id:
        out.print(f"flow run  {record.flow_run_id}")
    out.print(f"reports   {record.run_dir}")
    if record.message:
        out.print(f"message   {record.message}")
    table = Table(title="chunks", title_justify="left")
    for column in ("chunk", "rows", "state", "job", "job status", "ok", "failed", "note"):
        table.add_column(column, overflow="fold")
    for c in chunks:
        table.add_row(
            str(c.number),
            str(c.rows),
            c.state,
            c.job_id or "",
            c.job_status or "",
            "" if c.succeeded is None else str(c.succeeded),
            "" if c.failed is None else str(c.failed),
            c.note or "",
        )
    out.print(table)
    by_kind: dict[str, list[int]] = {}
    for row in left:
        key = f"{row.outcome} (resolved)" if row.resolved_by else row.outcome
        by_kind.setdefault(key, []).append(row.line)
    for kind, lines in sorted(by_kind.items()):
        shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
        out.print(f"{kind:<20} {len(lines):>6}  lines {shown}")
    for child in children:
        out.print(f"reprocessed by {child.run_id}: {child.status}, {_counts(child)}")
