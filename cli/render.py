"""What the CLI prints: the load summary table and the progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from hubload import progress
from hubload.audit import AuditStatus
from hubload.summary import Summary


def summary_table(summary: Summary) -> Table:
    """The counts, the jobs and where the reports are."""
    title = (
        f"{Path(summary.file).name} -> {summary.object} ({summary.operation}) of {summary.target}"
    )
    if summary.dry_run:
        title += " - dry run, nothing submitted"
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("rows", justify="right")
    table.add_column("detail", overflow="fold")
    table.add_row("read", str(summary.read), f"{summary.seconds:.1f}s")
    if summary.dry_run:
        table.add_row("valid", str(summary.staged), "would be submitted")
    else:
        jobs = ", ".join(f"{j.job_id or '-'} {j.status}" for j in summary.jobs[:5])
        more = f" (+{len(summary.jobs) - 5} more)" if len(summary.jobs) > 5 else ""
        table.add_row("succeeded", _style(summary.succeeded, "green"), f"jobs: {jobs}{more}")
    top = "; ".join(f"{reason} ({rows})" for reason, rows in summary.top_rejections[:3])
    table.add_row("rejected", _style(summary.rejected, "yellow"), top)
    if not summary.dry_run:
        failures = [j.message for j in summary.jobs if j.message][:2]
        table.add_row("failed", _style(summary.failed, "red"), "; ".join(failures))
    if summary.skipped:
        table.add_row("skipped", str(summary.skipped), "before the start row, left alone")
    if summary.truncated:
        table.add_row("truncated", str(summary.truncated), "loaded with a value cut: truncated.csv")
    if summary.healed:
        table.add_row(
            "healed", str(summary.healed), f"sent again and loaded, {summary.heal_rounds} round(s)"
        )
    if summary.audit.status is not AuditStatus.NOT_NEEDED:
        # A row may have been sent twice: what the target's jobs said (never a silent pass).
        table.add_row("at target", summary.audit.status.value, summary.audit.note)
    table.add_row("reports", "", summary.reports["summary"].rsplit("/", 1)[0])
    return table


def _style(value: int, colour: str) -> str:
    return f"[{colour}]{value}[/{colour}]" if value else "0"


@contextmanager
def progress_bar(console: Console, enabled: bool) -> Iterator[None]:
    """A bar for rows read, then jobs done, fed by the core's progress events."""
    if not enabled:
        yield
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        rows = bar.add_task("reading rows", total=None)
        jobs = bar.add_task("bulk jobs", total=None, visible=False)

        def on_event(event: progress.ProgressEvent) -> None:
            if event.stage == "prepare":  # the total: the rows the pre-pass counted
                bar.update(rows, completed=event.done, total=event.total)
            else:
                bar.update(jobs, completed=event.done, total=event.total, visible=True)

        unsubscribe = progress.subscribe(on_event)
        try:
            yield
        finally:
            unsubscribe()
