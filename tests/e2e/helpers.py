"""Running the load flow in tests and reading what it wrote."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from flows.load import load_request, outcome_of
from flows.reprocess import reprocess
from hubload.ledger import Ledger
from hubload.options import LoadRequest
from hubload.summary import Summary


def run_load(file: Path | str, object_name: str, **params: Any) -> tuple[Any, Any]:
    """Run the real flow on a request made of ``params`` (the options, and the flow's own
    ``run_id``, ``parent_run``, ``force``); return its final state and result (a Summary or
    the exception)."""
    own = {k: params.pop(k) for k in ("run_id", "parent_run", "force") if k in params}
    request = LoadRequest.of(file=str(file), object_name=object_name, **params)
    state = load_request(request, return_state=True, **own)
    result = outcome_of(state)
    if isinstance(result, Summary) and not result.all_succeeded:
        assert state.name == "Partially loaded"
    return state, result


def read_report(summary: Summary, name: str) -> list[dict[str, str]]:
    with Path(summary.reports[name]).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def summary_json(summary: Summary) -> dict[str, Any]:
    return dict(json.loads(Path(summary.reports["summary"]).read_text()))


REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "samples" / "seed_contacts.csv"
MAPPINGS = REPO / "mappings"


def run_reprocess(run: str, **params: Any) -> tuple[Any, Any]:
    """Run the real reprocess flow; return its final state and result (a Summary, or None when
    there was nothing to do, or the exception)."""
    state = reprocess(run=run, return_state=True, **params)
    return state, outcome_of(state)


def ledger() -> Ledger:
    """The ledger the flows of this test write to (HUBLOAD_HOME is the test's)."""
    return Ledger.from_settings()
