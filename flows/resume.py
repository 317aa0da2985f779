"""The ``resume`` flow: take a crashed, failed or interrupted load up where it stopped (from the
UI, with the run page's flow-run id; the CLI's ``hubload resume`` does the same)."""

from __future__ import annotations

from typing import Annotated, Any

from prefect import State, flow
from prefect.runtime import flow_run

from flows.load import load_request, titled
from hubload.recovery import check_resumable, find_run
from tasks.ledger import ledger
from tasks.runs import still_running


def resume_name() -> str:
    """``resume <run>``, the run's name in the UI."""
    return f"resume {flow_run.parameters.get('run')}"


@flow(name="resume", flow_run_name=resume_name, log_prints=False)
def resume(
    run: Annotated[str, titled("Run")],
    match_key: Annotated[str, titled("Match key")] = "",
    force: Annotated[bool, titled("Even if it looks alive")] = False,
) -> Any:
    """Take up a load that crashed, failed or was interrupted: chunks it sent are polled, never
    sent again; the others are sent. It ends as the load ends.

    Args:
        run: The load to take up: its flow-run id (from its page's URL) or the ledger's run id.
        match_key: For a chunk whose upload's answer was lost: a field whose values tell
            whether its rows reached the target (an external id); empty: the target's job list.
        force: Take it up even if it looks alive, or against another target than its own.
    """
    book = ledger()
    record = find_run(book, run)
    check_resumable(book, record, None if force else still_running(record))
    request = record.request()
    if match_key:
        request = request.model_copy(update={"match_key": match_key})
    state: State[Any] = load_request(  # type: ignore[assignment] # a sync flow: its State
        request,
        run_id=record.run_id,
        parent_run=record.parent_run_id,
        force=force,
        return_state=True,
    )
    return state
