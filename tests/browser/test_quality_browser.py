"""The quality dashboard in Chromium, as each role (issue 15, "Done when"): every chart loads as
an image (naturalWidth > 0), the page keeps to the CSP and to WCAG 2.2 AA (axe-core), and a
screenshot of each role's dashboard is saved under pytest's temporary directory
(quality-screenshots/) to be looked at."""

import pytest

from accounts.models import Role
from audit.actor import Actor
from meetings import services as meeting_services
from tests.browser.axe import axe_violations, describe
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tests.workflow import advised_case, request_info, submitted_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS_LOADED = """() => [...document.querySelectorAll('img.quality-chart')].map(
  img => ({src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth}))"""


@pytest.fixture
def dashboard_data(referrer, neuro_oncologist, chair):
    first = advised_case(referrer, chair)
    for decisions in (["systemic"], ["srt", "systemic"], ["resection"]):
        advised_case(referrer, chair, first.item.meeting, decisions=decisions)
    asked = submitted_case(referrer)
    request_info(asked, neuro_oncologist)
    for _ in range(2):
        case = submitted_case(referrer)
        meeting_services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk)


@pytest.mark.parametrize("role", ["referrer", "neuro_oncologist", "chair", "admin_user", "privacy_officer"])
def test_the_dashboard_shows_every_chart(page, request, role, centre, dashboard_data, tmp_path_factory):
    user = (UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER) if role == "privacy_officer"
            else request.getfixturevalue(role))
    log_in(page, user)
    if role == "admin_user":  # the administrator starts in the Django administration, without this menu
        page.goto("/mdo/meetings/")
    page.click("nav >> text=Kwaliteit")
    page.wait_for_selector("h1:has-text('Kwaliteitsdashboard')")
    page.wait_for_load_state("networkidle")
    charts = page.evaluate(CHARTS_LOADED)
    assert len(charts) == 9
    assert all(chart["complete"] and chart["width"] > 0 for chart in charts), charts
    assert page.locator("table.quality-table").count() == 9
    assert page.locator("a.csv-link").count() == 9
    if role in ("admin_user", "privacy_officer"):
        assert page.locator("table.slowest-cases").count() == 0
        assert page.locator("td:has-text('<5')").count() > 0
    else:
        assert page.locator("table.slowest-cases a").count() > 0
    violations = axe_violations(page)
    assert not violations, describe(violations)
    folder = tmp_path_factory.getbasetemp() / "quality-screenshots"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"dashboard-{role}.png"), full_page=True)
    # A chart opened by itself is an SVG image.
    response = page.request.get(charts[0]["src"])
    assert response.ok and response.headers["content-type"] == "image/svg+xml"
