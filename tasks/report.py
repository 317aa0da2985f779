"""The last step of a load: failed.csv, summary.json, the reconciliation, artifacts and an event."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from hubload.audit import NOT_NEEDED, Audit
from hubload.chain_audit import ThisRun, audit, exempt
from hubload.errors import ReconciliationError
from hubload.healing import Healing
from hubload.leftovers import leftover_rows
from hubload.outcomes import ChunkOutcome, Tally
from hubload.plan import LoadPlan
from hubload.row_reports import renumber, write_failed_report, write_success_report
from hubload.staging import Prepared
from hubload.storage import Storage, link
from hubload.summary import Summary
from hubload.targets import TargetConfig, TargetIdentity, open_target
from tasks.artifacts import publish_rows
from tasks.ledger import ledger

LOAD_EVENT = "hubload.load.finished"
_TOP = 10


@task(name="reconcile-and-report", cache_policy=NO_CACHE)
def finish(
    run_id: str,
    load_plan: LoadPlan,
    *,
    identity: TargetIdentity,
    config: TargetConfig | None = None,
    prepared: Prepared,
    outcomes: dict[int, ChunkOutcome],
    healing: Healing,
    lineage: dict[int, int] | None = None,
    run_dir: Path,
    storage: Storage | None = None,
    dry_run: bool,
    seconds: float,
    jobs_seconds: float = 0.0,
) -> Summary:
    """Write the reports, ask the target whether a row was loaded twice (where one may have
    been: ``config`` names the target), copy the run's folder to the shared storage (when there
    is one: the summary then names the reports there), check that every row is accounted for,
    and publish the counts.

    Raises:
        ReconciliationError: the counts do not add up (the reports are written first).
        StorageError: the storage cannot be written.
    """
    log = get_run_logger()
    tally = Tally(
        read=prepared.read,
        rejected=prepared.rejected,
        staged=prepared.staged_rows,
        outcomes=outcomes,
        skipped=prepared.skipped,
    )
    reports = {"summary": str(run_dir / "summary.json")}
    if prepared.rejected_report is not None:
        reports["rejected"] = str(prepared.rejected_report)
    if prepared.truncated_report is not None:
        reports["truncated"] = str(prepared.truncated_report)
    if not dry_run:
        failed_path = run_dir / "failed.csv"
        chunks = [*prepared.chunks, *healing.chunks]
        write_failed_report(failed_path, load_plan.header, chunks, outcomes)
        reports["failed"] = str(failed_path)
        if any(o.successes is not None for o in outcomes.values()):
            success_path = run_dir / "success.csv"
            write_success_report(success_path, load_plan.header, chunks, outcomes)
            reports["success"] = str(success_path)
    for name in ("rejected", "failed", "success", "truncated"):
        if lineage and name in reports:
            # A reprocess run's rows are named by the original file's lines, as its parent's.
            renumber(Path(reports[name]), lineage)
    verdict = NOT_NEEDED
    if not dry_run and config is not None:
        verdict = _ask_target(config, run_id, load_plan, tally.read, reports, healing)
    problems = tally.problems(dry_run=dry_run)
    if verdict.status.is_problem:
        problems.append(verdict.note)
    summary = Summary(
        run_id=run_id,
        file=str(load_plan.file),
        target=str(identity),
        target_kind=identity.kind.value,
        place=f"{identity.short}/{load_plan.mapping.target.name}",
        object=load_plan.mapping.target.name,
        operation=load_plan.operation.kind,
        dry_run=dry_run,
        read=tally.read,
        staged=tally.staged,
        succeeded=tally.succeeded,
        rejected=tally.rejected,
        failed=tally.failed,
        jobs=[outcomes[n].job_summary() for n in sorted(outcomes)],
        reports=reports,
        top_rejections=prepared.reasons.most_common(_TOP),
        blank_lines=prepared.blank_lines,
        unmapped_columns=list(load_plan.mapping.unmapped_columns),
        seconds=round(seconds, 3),
        timings={
            **{k: round(v, 3) for k, v in prepared.timings.items()},
            "jobs": round(jobs_seconds, 3),
        },
        discrepancies=problems,
        healed=healing.healed,
        heal_rounds=healing.rounds,
        skipped=prepared.skipped,
        truncated=prepared.truncated,
        audit=verdict,
    )
    links: dict[str, str] = {}
    if storage is not None:
        shared = storage.location("runs", run_id)
        located = {k: f"{shared}/{Path(v).name}" for k, v in summary.reports.items()}
        summary = dataclasses.replace(summary, reports=located)
        summary.write(run_dir / "summary.json")
        storage.publish_run(run_dir, run_id)
        links = {k: url for k, v in summary.reports.items() if (url := link(v, storage.options))}
    else:
        summary.write(run_dir / "summary.json")
    keys = key_columns(load_plan)
    try:
        tally.check(dry_run=dry_run)
    except ReconciliationError:
        _publish(summary, run_dir, outcome="unreconciled", keys=keys, links=links)
        raise
    _publish(summary, run_dir, outcome=_outcome(summary), keys=keys, links=links)
    log.info(
        "read %d: %d succeeded, %d rejected, %d failed; reports in %s",
        summary.read,
        summary.succeeded,
        summary.rejected,
        summary.failed,
        storage.location("runs", run_id) if storage is not None else run_dir,
    )
    return summary


def _ask_target(
    config: TargetConfig,
    run_id: str,
    load_plan: LoadPlan,
    read: int,
    reports: dict[str, str],
    healing: Healing,
) -> Audit:
    """Whether the target shows a row of the file loaded twice, where one may have been."""
    book = ledger()
    verdict = exempt(book, run_id, load_plan.operation, resent=healing.rounds > 0)
    if verdict is not None:
        return verdict
    paths = [Path(reports[k]) if k in reports else None for k in ("rejected", "failed")]
    left = {row.line: row.outcome for row in leftover_rows(*paths)}
    this = ThisRun(run_id=run_id, read=read, left=left, object_name=load_plan.mapping.target.name)
    verdict = audit(book, open_target(config), this)
    log = get_run_logger()
    (log.error if verdict.status.is_problem else log.info)("at the target: %s", verdict.note)
    return verdict


def key_columns(load_plan: LoadPlan) -> list[str]:
    """The file's columns that name a row best: the key field's (Id, an upsert's external id),
    then the first few mapped ones."""
    key = load_plan.operation.external_id or ("Id" if load_plan.operation.kind.by_id else None)
    first = [m.column for m in load_plan.mapping.fields if m.column and m.field.name == key]
    rest = [c for c in load_plan.mapping.columns_used if c not in first]
    return (first + rest)[:4]


def _outcome(summary: Summary) -> str:
    if summary.reconciles is False:
        return "unreconciled"
    if summary.dry_run:
        return "dry-run"
    return "clean" if summary.all_succeeded else "partial"


def _publish(
    summary: Summary, run_dir: Path, *, outcome: str, keys: list[str], links: dict[str, str]
) -> None:
    publish_rows(summary, run_dir, keys, links=links)
    emit_event(
        event=LOAD_EVENT,
        resource={
            "prefect.resource.id": f"hubload.load.{summary.run_id}",
            "prefect.resource.name": f"{Path(summary.file).name} -> {summary.place}",
            "hubload.target": summary.target_kind,
            "hubload.object": summary.object,
            # What automations match on: clean, partial (rows rejected or failed), dry-run,
            # or unreconciled (the counts did not add up: the run fails).
            "hubload.outcome": outcome,
        },
        payload={
            "read": summary.read,
            "succeeded": summary.succeeded,
            "rejected": summary.rejected,
            "failed": summary.failed,
            "file": summary.file,
            "dry_run": summary.dry_run,
        },
    )
