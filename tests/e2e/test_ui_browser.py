"""The Prefect UI in a real headless browser: find the ``load`` deployment served by
``hubload serve``, fill its custom-run form (text fields, enum drop-downs, an optional string) and
submit it; the run the form created loads the seed file like a run started from the API."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from prefect import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun

from tests.e2e.deploy_support import counts, deployment_id, final_state, wait_for
from tests.e2e.helpers import MAPPINGS, SEED
from tests.e2e.test_deployments import Served, served  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow]
MAPPING = MAPPINGS / "marketing_contact.yaml"
UI_TIMEOUT_MS = 30_000
VIEWPORT: ViewportSize = {"width": 1400, "height": 2200}  # tall: the whole form in one shot


def ui_base(api_url: str) -> str:
    """The UI is served by the same server as the API, at its root."""
    return api_url.removesuffix("/api")


def field(page: Page, label: str) -> Locator:
    """One parameter of the run form: its label and its inputs. Prefect's schema form points
    each ``<label for=...>`` at no control, so ``get_by_label`` finds nothing; the property's
    container (the schema form's ``schema-form-property`` component) holding that label is it."""
    return page.locator(".schema-form-property").filter(has=page.get_by_text(label, exact=True))


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in an enum parameter's drop-down, opened from the keyboard (ArrowDown, as
    a keyboard user would). A mouse click on the select's value text opens its pop-over and
    closes it again within milliseconds here (the options list is added, its search box takes
    the focus, the list is removed); a click on its chevron, or the keyboard, keeps it open."""
    select = field(page, label).get_by_role("group").get_by_role("button")
    select.press("ArrowDown")
    page.get_by_role("listbox").get_by_role("option", name=option, exact=True).click()
    expect(select).to_have_text(option)


def runs_of(deployment: UUID) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment]))
        )


def open_custom_run_form(page: Page, base: str, deployment: UUID) -> None:
    page.goto(f"{base}/deployments")
    page.get_by_role("searchbox", name="Search deployments").fill("load")
    # The search lists every deployment of the flow "load" (load, request): the user picks
    # the one named "load" (its row's first link; the second is its flow, also "load").
    listed = page.locator(f'a[href*="/deployments/deployment/{deployment}"]')
    expect(listed.first).to_be_visible()
    expect(listed.first).to_contain_text("load")
    listed.first.click()
    expect(page).to_have_url(re.compile(rf"/deployments/deployment/{deployment}\b"))
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("link", name="Custom run").click()
    expect(page).to_have_url(re.compile(rf"/deployments/deployment/{deployment}/run\b"))
    expect(page.get_by_role("heading", name="Parameters")).to_be_visible()


def fill_load_form(page: Page) -> None:
    page.wait_for_load_state("networkidle")  # the form is rebuilt once the schema arrives
    file = field(page, "File").get_by_role("textbox")
    file.fill(str(SEED))
    # The object: the list of the marketing hub's objects (one of the form's three choices).
    field(page, "Object").get_by_role("button", name="Open Connectors, hub marketing").click()
    choose(page, "Object", "contact")
    hub = field(page, "Hub (Open Connectors) (Optional)").get_by_role("textbox")
    hub.fill("marketing")
    mapping = field(page, "Mapping file (Optional)").get_by_role("textbox")
    mapping.fill(str(MAPPING))
    expect(file).to_have_value(str(SEED))
    expect(mapping).to_have_value(str(MAPPING))


def test_custom_run_from_the_ui_form(
    served: Served,  # noqa: F811 - the imported fixture
    prefect_api: str,
    browser: Browser,
    tmp_path: Path,
) -> None:
    deployment = deployment_id("load/load")
    assert deployment is not None
    before = {run.id for run in runs_of(deployment)}
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        open_custom_run_form(page, ui_base(prefect_api), deployment)
        fill_load_form(page)
        name = page.get_by_role("textbox").first.input_value()  # "Run Name", generated
        page.screenshot(path=tmp_path / "custom-run-form.png", full_page=True)
        page.get_by_role("button", name="Submit").click()

        # The UI goes back to the deployment and says so in a toast. (The 3.9 UI mounts its
        # toast container twice, so each toast shows twice, one on top of the other.)
        toast = page.get_by_text("scheduled to start now").first
        expect(toast).to_be_visible()
        expect(toast).to_contain_text(name)
        (run,) = wait_for(
            lambda: [r for r in runs_of(deployment) if r.id not in before],
            30,
            "the flow run the form created",
            served.log,
        )
        done = final_state(run.id, log=served.log)
        assert done.state.name == "Partially loaded", served.log.read_text()[-3000:]
        # The run's page shows the state the flow returned.
        page.goto(f"{ui_base(prefect_api)}/runs/flow-run/{run.id}")
        expect(page.get_by_text("Partially loaded").first).to_be_visible()
    except Exception:
        page.screenshot(path=tmp_path / "failure.png", full_page=True)
        raise
    finally:
        page.close()

    assert {k: run.parameters.get(k) for k in ("file", "object_name", "hub", "mapping")} == {
        "file": str(SEED),
        "object_name": "contact",
        "hub": "marketing",
        "mapping": str(MAPPING),
    }
    assert [r.id for r in runs_of(deployment) if r.id not in before] == [run.id]  # one submit
    assert counts(run.id) == {"read": 10, "succeeded": 9, "rejected": 1, "failed": 0}
    assert served.sandbox.store.count_records("marketing", "contact") == 9
