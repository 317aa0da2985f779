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
