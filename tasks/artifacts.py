"""A load's rows in the Prefect UI: its counts, the first rejected and failed rows with their
reasons, the rows counted by reason and by the target's error code, a sample of the record ids
loaded, and what to do next (the exact reprocess, from the CLI or the UI)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from prefect import get_client
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.client.schemas.actions import ArtifactCreate
from prefect.runtime import flow_run
from prefect.utilities.urls import url_for

from hubload.ledger import RunRecord
from hubload.report_views import SAMPLE_ROWS, ReportView, view
from hubload.summary import Summary


def publish_rows(summary: Summary, run_dir: Path, keys: list[str], links: dict[str, str]) -> None:
    """The run's row artifacts, from the reports in ``run_dir`` (this machine's copy).
    ``keys`` are the columns that name a row (its key fields' columns); ``links`` are the
    reports' URLs where the shared storage has them."""
    create_table_artifact(
        key="load-counts",
        table=[
            {"count": name, "rows": value}
            for name, value in (
                ("read", summary.read),
                ("succeeded", summary.succeeded),
                ("rejected", summary.rejected),
                ("failed", summary.failed),
            )
        ],
        description=f"{summary.file} -> {summary.place} ({summary.target}, run {summary.run_id})"
        + (f"; {summary.healed} row(s) healed: sent again and loaded" if summary.healed else "")
        + (f"; at the target: {summary.audit.note}" if summary.audit.jobs else ""),
    )
    rejected = view(_path(summary, run_dir, "rejected"), "reason", keys=keys)
    failed = view(_path(summary, run_dir, "failed"), "error", keys=keys)
    for found, key, what in (
        (rejected, "rejected-rows", "rejected before sending (the reason names the column)"),
        (failed, "failed-rows", "refused by the target (its error code and message)"),
    ):
        if found.total:
            create_table_artifact(
                key=key,
                table=found.rows,
                description=f"{_shown(found)} rows {what}; all of them: "
                f"`hubload report {summary.run_id} {found.name.removesuffix('.csv')}`",
            )
    counts = [
        {"rows": "rejected", "reason": r, "count": n} for r, n in rejected.by_reason.most_common()
    ]
    counts += [
        {"rows": "failed", "reason": r, "count": n} for r, n in failed.by_reason.most_common()
    ]
    if counts:
        create_table_artifact(
            key="rows-by-reason", table=counts, description="Rows that did not load, by reason"
        )
    if "success" in summary.reports:
        # Only the sample is read: a success file holds every loaded row (a million, say).
        loaded = view(run_dir / "success.csv", "created", keys=["id"], sample=50, whole=False)
        create_table_artifact(
            key="success-sample",
            table=loaded.rows,
            description=f"The first {len(loaded.rows)} of {summary.succeeded} rows loaded, with "
            f"their record ids: `hubload report {summary.run_id} success`",
        )
    for name, url in links.items():
        create_link_artifact(
            key=f"{name}-report", link=url, link_text=Path(summary.reports[name]).name
        )
    create_markdown_artifact(key="next-steps", markdown=next_steps(summary))


def _path(summary: Summary, run_dir: Path, name: str) -> Path | None:
    return run_dir / Path(summary.reports[name]).name if name in summary.reports else None


def _shown(found: ReportView) -> str:
    return (
        f"{found.total}"
        if found.total <= SAMPLE_ROWS
        else f"The first {SAMPLE_ROWS} of {found.total}"
    )


def next_steps(summary: Summary) -> str:
    """What to do about the rows left: the exact commands and UI parameters."""
    run, flow_id = summary.run_id, str(flow_run.id) if flow_run.id else summary.run_id
    lines = [f"# {summary.file}: {summary.succeeded} of {summary.read} rows loaded", ""]
    if summary.all_succeeded:
        return "\n".join([*lines, "Every row loaded: nothing to do."])
    if summary.failed:
        lines += [
            f"**{summary.failed} row(s) failed at the target.** To send them again as they "
            f"are (a passing error, such as a record lock): `hubload reprocess {run} --only "
            f"failed`, or run the **reprocess** deployment with `run` = `{flow_id}` and `only` "
            "= `failed`.",
            "",
            f"To correct them first: `hubload report {run} failed -o failed.csv`, edit the rows, "
            f"then `hubload reprocess {run} --failed failed.csv` (in the UI: `failed_file`).",
            "",
        ]
    if summary.rejected:
        lines += [
            f"**{summary.rejected} row(s) were rejected before sending.** Correct them: "
            f"`hubload report {run} rejected -o rejected.csv`, edit, then "
            f"`hubload reprocess {run} --rejected rejected.csv` (in the UI: `rejected_file`).",
            "",
        ]
    lines.append("Rows already loaded are never sent again; each row loaded resolves this run's.")
    return "\n".join(lines)


def link_parent_load(parent: RunRecord) -> None:
    """On a reprocess's load run: a link to the load it reprocesses (its real parent; Prefect's
    own "parent run" is the reprocess flow run that started it)."""
    url = url_for("flow-run", obj_id=parent.flow_run_id) if parent.flow_run_id else None
    if url:
        create_link_artifact(
            key="parent-load", link=url, link_text=f"{parent.run_id}: the load this run reprocesses"
        )


def list_reprocess_runs(parent: RunRecord, children: list[RunRecord], remaining: int) -> None:
    """On the parent load's page: its reprocess runs, each linked, with how each ended and
    how many of its rows are left."""
    if not parent.flow_run_id:
        return
    lines = [f"# Reprocess runs of `{parent.run_id}`", "", f"{remaining} row(s) still to load.", ""]
    for child in children:
        url = url_for("flow-run", obj_id=child.flow_run_id) if child.flow_run_id else None
        name = f"[{child.run_id}]({url})" if url else f"`{child.run_id}`"
        lines.append(
            f"- {name}: {child.status}, {child.succeeded or 0} loaded, "
            f"{child.failed or 0} failed, {child.rejected or 0} rejected"
        )
    with get_client(sync_client=True) as client:
        client.create_artifact(
            ArtifactCreate(
                key="reprocess-runs",
                type="markdown",
                data="\n".join(lines),
                description="This load's reprocess runs",
                flow_run_id=UUID(parent.flow_run_id),
            )
        )
