"""The shipped deployment files agree with each other."""

from __future__ import annotations

from pathlib import Path

import yaml

from hubload.nightly import NightlyConfig

DEPLOYMENTS = Path(__file__).resolve().parents[2] / "deployments"


def test_workers_and_serve_run_the_nightly_load_on_one_schedule() -> None:
    """`prefect deploy` reads prefect.yaml's schedule, `hubload serve` reads nightly.yaml's: a
    change to one must be made to the other."""
    declared = yaml.safe_load((DEPLOYMENTS / "prefect.yaml").read_text())
    (nightly,) = [d for d in declared["deployments"] if d["name"] == "nightly"]
    (schedule,) = nightly["schedules"]
    served = NightlyConfig.load(DEPLOYMENTS / "nightly.yaml").schedule
    assert (schedule["cron"], schedule["timezone"]) == (served.cron, served.timezone)
    assert nightly["parameters"]["config"] == "deployments/nightly.yaml"
    # The time zone is in the description too: the deployment's page shows it at a glance.
    assert f"({served.timezone})" in nightly["description"]


def test_every_flow_a_ui_user_needs_is_deployed_in_both_ways() -> None:
    """The pool's deployments and `hubload serve`'s are the same set, each to a real flow."""
    from deployments.serve import build  # noqa: PLC0415 - imports Prefect and the flows

    declared = yaml.safe_load((DEPLOYMENTS / "prefect.yaml").read_text())
    pool = {(d["entrypoint"].rsplit(":", 1)[1], d["name"]) for d in declared["deployments"]}
    served = {(d.flow_name, d.name) for d in build(DEPLOYMENTS / "nightly.yaml", None)}
    assert {name for _, name in pool} == {"load", "request", "reprocess", "resume", "nightly"}
    assert {name for _, name in served} == {name for _, name in pool}
    for entry in declared["deployments"]:
        module, function = entry["entrypoint"].split(":")
        assert (Path(__file__).resolve().parents[2] / module).is_file(), module
        assert f"def {function}(" in (Path(__file__).resolve().parents[2] / module).read_text()
