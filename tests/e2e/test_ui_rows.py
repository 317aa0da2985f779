"""An operations user in the Prefect UI, in a real headless browser: a partial load's page shows
its rejected and failed rows with their reasons; the reprocess form, given the run's flow-run id
(from the page's URL) and a corrected rejected.csv from the report storage, loads the corrected
rows; the parent's page links its reprocess run, and the child links back to its parent.

The screenshots go to ``HUBLOAD_SCREENSHOTS`` (default: the test's temporary folder); the
README's images are made by this test."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.deploy_support import (
    BIN,
    background,
    deployment_id,
    final_state,
    process_env,
    run_deployment_like_the_ui,
    run_hubload,
    save_target_block,
    wait_for,
)
from tests.e2e.test_ui_browser import UI_TIMEOUT_MS, VIEWPORT, field, ui_base

pytestmark = [pytest.mark.slow]
FILE = (
    "LastName,Email,External_Id__c\n"
    "Ames,ames@x.com,k1\n"
    "Bell,bell-at-x.com,k2\n"  # line 3: rejected, not an email address
    "Cole,cole@x.com,k1\n"  # line 4: refused by the target, k1 is taken (DUPLICATE_VALUE)
    "Dunn,dunn@x.com,k4\n"
)


@dataclass
class Served:
    sandbox: RunningSandbox
    storage: Path
    env: dict[str, str]
    log: Path


@pytest.fixture
def served_with_storage(
    prefect_api: str, start_sb: SandboxFactory, tmp_path: Path
) -> Iterator[Served]:
    """``hubload serve`` with its reports in a storage folder (as a shared mount would be)."""
    sandbox = start_sb()
    save_target_block(sandbox)
    storage = tmp_path / "storage"
    config = tmp_path / "nightly.yaml"
    config.write_text(f"inbox: {tmp_path / 'inbox'}\nsources: []\n")
    env = process_env(
        tmp_path / "home",
        PREFECT_API_URL=prefect_api,
        PREFECT_LOCAL_STORAGE_PATH=str(tmp_path / "results"),
        HUBLOAD_STORAGE=str(storage),
    )
    log = tmp_path / "serve.log"
    args = [str(BIN / "hubload"), "serve", "--nightly-config", str(config)]
    args += ["--target-block", "hubload-target"]
    with background(args, env, log):
        wait_for(lambda: deployment_id("reprocess/reprocess"), 120, "the deployments", log)
        yield Served(sandbox, storage, env, log)


def test_rows_in_the_ui_and_a_reprocess_from_the_form(
    served_with_storage: Served, prefect_api: str, browser: Browser, tmp_path: Path
) -> None:
    served = served_with_storage
    folder = Path(os.environ.get("HUBLOAD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "contacts.csv"
    path.write_text(FILE)
    parent = run_deployment_like_the_ui("load/load", {"file": str(path), "object_name": "Contact"})
    done = final_state(parent, log=served.log)
    assert done.state.name == "Partially loaded", served.log.read_text()[-3000:]

    # The corrected rejected.csv, put in the report storage (where a user uploads it).
    got = run_hubload(["report", str(parent), "rejected"], served.env)
    assert got.returncode == 0, got.stderr
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert [(r["line"], r["Email"]) for r in rows] == [("3", "bell-at-x.com")]
    rows[0]["Email"] = "bell@x.com"
    fixed = served.storage / "fixes" / "rejected.csv"
    fixed.parent.mkdir(parents=True)
    with fixed.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    base = ui_base(prefect_api)
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        # The partial run's page: its rejected and failed rows, with their reasons.
        page.goto(f"{base}/runs/flow-run/{parent}")
        expect(page.get_by_text("Partially loaded").first).to_be_visible()
        page.get_by_text("Artifacts", exact=True).first.click()
        shoot(page, folder / "ui-partial-run-artifacts.png")
        for key, texts in (
            ("rejected-rows", ["bell-at-x.com", "Email: not a valid email address"]),
            ("failed-rows", ["cole@x.com", "DUPLICATE_VALUE"]),
        ):
            open_artifact(page, f"{base}/runs/flow-run/{parent}", key)
            for text in texts:
                expect(page.get_by_text(re.compile(re.escape(text))).first).to_be_visible()
            shoot(page, folder / f"ui-{key}.png")

        # The reprocess form, given the flow-run id of the page's URL and the corrected file.
        reprocess = deployment_id("reprocess/reprocess")
        page.goto(f"{base}/deployments/deployment/{reprocess}/run")
        expect(page.get_by_role("heading", name="Parameters")).to_be_visible()
        page.wait_for_load_state("networkidle")
        field(page, "Run").get_by_role("textbox").fill(str(parent))
        corrected = field(page, "Corrected rejected.csv (Optional)").get_by_role("textbox")
        corrected.fill(fixed.as_uri())
        shoot(page, folder / "ui-reprocess-form.png")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("scheduled to start now").first).to_be_visible()
        child = _latest_run_of(reprocess)
        finished = final_state(child, log=served.log)
        # The corrected row loads; line 4, sent again as it was (only: all), is refused again.
        assert finished.state.name == "Partially loaded", finished.state.message
        assert "1 of 2 row(s)" in (finished.state.message or ""), finished.state.message
        assert "; 1 remain" in (finished.state.message or "")

        # The parent's page lists its reprocess run, linked; the child links back.
        open_artifact(page, f"{base}/runs/flow-run/{parent}", "reprocess-runs")
        listed = page.get_by_role("link", name=re.compile(r"-r[0-9a-f]{8}$")).first
        expect(listed).to_be_visible()
        shoot(page, folder / "ui-parent-lists-reprocess.png")
        href = listed.get_attribute("href") or ""
        assert re.search(r"/runs/flow-run/[0-9a-f-]{36}$", href), href
        open_artifact(page, href, "parent-load")  # the reprocess's load run
        back = page.get_by_role("link", name=re.compile("the load this run reprocesses"))
        expect(back).to_have_attribute("href", re.compile(rf"/runs/flow-run/{parent}$"))
    except Exception:
        shoot(page, folder / "failure.png")
        raise
    finally:
        page.close()
    emails = {r["Email"] for r in served.sandbox.store.records("helpdesk", "Contact")}
    assert emails == {"ames@x.com", "bell@x.com", "dunn@x.com"}


def shoot(page: Page, path: Path) -> None:
    """A screenshot of the top of the page (the content; the tall viewport is mostly empty)."""
    page.screenshot(path=path, clip={"x": 0, "y": 0, "width": 1400, "height": 1000})


def open_artifact(page: Page, run_page: str, key: str) -> None:
    """Open a run's artifact from its page's Artifacts tab (the card, after the graph's label
    of the same name)."""
    page.goto(run_page)
    page.get_by_text("Artifacts", exact=True).first.click()
    page.get_by_text(key, exact=True).last.click()
    expect(page).to_have_url(re.compile(r"/artifacts/"))


def _latest_run_of(deployment: UUID | None) -> UUID:
    from prefect import get_client  # noqa: PLC0415
    from prefect.client.schemas.filters import (  # noqa: PLC0415
        DeploymentFilter,
        DeploymentFilterId,
    )
    from prefect.client.schemas.sorting import FlowRunSort  # noqa: PLC0415

    assert deployment is not None

    def found() -> UUID | None:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment])),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=1,
            )
        return runs[0].id if runs else None

    return UUID(str(wait_for(found, 30, "the reprocess run the form made")))
