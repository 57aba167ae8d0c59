"""The Content Security Policy allows no inline script, style or event handler: Chromium must report
no violation on any page a user of any role opens, including the two-factor enrolment with its QR
code, the printouts, the access log and the administration."""

import pytest
from django.utils import timezone

from accounts.models import Role
from audit.actor import Actor
from meetings import services as meeting_services
from tests.browser.conftest import log_in
from tests.factories import CaseFactory, PatientFactory, UserFactory
from tests.workflow import ADVICE, register_quorum, scheduled_case, submitted_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Any violation Chromium reports, on the console and as the DOM event (which names the directive).
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at '
                + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def new(user=None):
        context = browser.new_context(locale="nl-NL", base_url=live_server.url)
        context.add_init_script(REPORT_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.problems = []
        page.on("console", lambda m: ("Refused to" in m.text or "CSP violation" in m.text
                                      or "Content Security Policy" in m.text) and page.problems.append(m.text))
        page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
        if user is not None:
            log_in(page, user)
        return page

    yield new
    for context in contexts:
        context.close()


def visit(page, urls):
    for url in urls:
        response = page.goto(url)
        assert response.status < 500, (url, response.status)
        page.wait_for_load_state("load")
        # Open every collapsed part, so that what it shows is rendered too.
        for summary in page.locator("details > summary").all():
            if summary.is_visible():
                summary.click()
    assert not page.problems, page.problems


def test_no_page_of_any_role_violates_the_policy(open_page, referrer, neuro_oncologist, chair, centre,
                                                 admin_user):
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
    case, meeting = item.case, item.meeting
    waiting = submitted_case(referrer)
    draft_steps = ["patient", "oncology", "history", "extracranial", "clinical", "imaging", "questions", "review"]
    draft = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)

    visit(open_page(referrer), [
        "/cases/", "/cases/new/", f"/cases/{case.pk}/", f"/cases/{case.pk}/timeline/",
        f"/cases/{waiting.pk}/", *[f"/cases/{draft.pk}/intake/{step}/" for step in draft_steps],
        "/accounts/password/", "/does-not-exist/",
    ])
    visit(open_page(neuro_oncologist), [
        "/mdo/queue/", f"/mdo/queue/?q={waiting.patient.family_name}", f"/cases/{waiting.pk}/",
        "/mdo/meetings/", f"/mdo/meetings/{meeting.pk}/",
    ])
    visit(open_page(chair), [
        f"/mdo/meetings/{meeting.pk}/", f"/mdo/meetings/{meeting.pk}/edit/", "/mdo/meetings/new/",
        f"/mdo/items/{item.pk}/advice/", f"/mdo/meetings/{meeting.pk}/print/",
        f"/mdo/meetings/{meeting.pk}/minutes/", f"/cases/{case.pk}/",
    ])
    officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
    today = timezone.localdate().isoformat()
    visit(open_page(officer), [
        "/audit/access-log/",
        f"/audit/access-log/?hospital={referrer.hospital.pk}&patient_number={case.patient.patient_number}"
        f"&date_from={today}&date_to={today}",
    ])
    visit(open_page(admin_user), [
        "/beheer/", "/beheer/accounts/user/", f"/beheer/accounts/user/{referrer.pk}/change/",
        "/beheer/accounts/hospital/", "/beheer/accounts/user/add/",
    ])


def test_the_login_and_the_qr_enrolment_violate_nothing(open_page, referrer):
    page = open_page()
    visit(page, ["/accounts/login/"])
    page.fill("input[name=username]", referrer.username)
    page.fill("input[name=password]", "a-long-test-password-1")
    page.click("form.main-form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/setup/**")
    assert page.locator(".qr-code svg").count() == 1
    box = page.locator(".qr-code svg").bounding_box()
    assert box and box["width"] > 100, "the QR code is drawn at a scannable size"
    assert not page.problems, page.problems

