"""WCAG 2.2 AA: axe-core finds no serious or critical violation on any main page of any role, in
either language, and a form with errors puts focus on a summary that links to the fields."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from audit.actor import Actor
from meetings import services as meeting_services
from meetings.models import AgendaItem
from tests.browser.axe import axe_violations, describe
from tests.browser.conftest import log_in
from tests.factories import CaseFactory, LesionFactory, PatientFactory, UserFactory
from tests.workflow import ADVICE, planned_meeting, register_quorum, scheduled_case, submitted_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INTAKE_STEPS = ["patient", "oncology", "history", "extracranial", "clinical", "imaging", "questions", "review"]


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def new(user=None, locale="nl-NL"):
        context = browser.new_context(locale=locale, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if user is not None:
            log_in(page, user)
        return page

    yield new
    for context in contexts:
        context.close()


def audit(page, urls):
    """Every violation of every page, reported together so that one run shows all there is."""
    found = []
    for url in urls:
        # The quality dashboard loads nine charts from a one-thread live server: on a loaded
        # machine that takes more than the default 10 s.
        response = page.goto(url, timeout=60_000)
        assert response.status < 400, (url, response.status)
        # Collapsed parts are checked open, as a user sees them after a click.
        for summary in page.locator("details:not([open]) > summary").all():
            if summary.is_visible():
                summary.click()
        violations = axe_violations(page)
        if violations:
            found.append(f"== {url}\n{describe(violations)}")
    return found


@pytest.fixture
def world(referrer, chair, neuro_oncologist):
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
    waiting = submitted_case(referrer)
    draft = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
    LesionFactory(case=draft)
    from tests.test_reentry import closed_restrained_case

    closed = closed_restrained_case(referrer, neuro_oncologist)
    return {"item": item, "case": item.case, "meeting": item.meeting, "waiting": waiting, "draft": draft,
            "closed": closed}


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_no_main_page_of_any_role_has_a_serious_violation(open_page, world, referrer, neuro_oncologist,
                                                          chair, admin_user, centre, locale):
    case, meeting, waiting, draft, item = (world[k] for k in ("case", "meeting", "waiting", "draft", "item"))
    found = audit(open_page(locale=locale), ["/accounts/login/"])
    found += audit(open_page(referrer, locale), [
        "/cases/", "/cases/new/", *[f"/cases/{draft.pk}/intake/{step}/" for step in INTAKE_STEPS],
        f"/cases/{case.pk}/", f"/cases/{case.pk}/timeline/", f"/cases/{waiting.pk}/", "/accounts/password/",
        f"/followup/cases/{case.pk}/implementation/", "/followup/overdue/", f"/cases/{world['closed'].pk}/",
        f"/followup/cases/{world['closed'].pk}/reevaluation/", f"/patients/{case.patient_id}/",
    ])
    found += audit(open_page(neuro_oncologist, locale), [
        "/mdo/queue/", f"/cases/{waiting.pk}/", "/mdo/meetings/", f"/mdo/meetings/{meeting.pk}/",
    ])
    found += audit(open_page(chair, locale), [
        "/mdo/meetings/", f"/mdo/meetings/{meeting.pk}/", f"/mdo/meetings/{meeting.pk}/edit/",
        "/mdo/meetings/new/", f"/mdo/items/{item.pk}/advice/", f"/mdo/meetings/{meeting.pk}/print/",
        f"/mdo/meetings/{meeting.pk}/minutes/", f"/cases/{case.pk}/",
        f"/mdo/meetings/{item.meeting_id}/live/{item.pk}/",
    ])
    officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
    today = timezone.localdate().isoformat()
    found += audit(open_page(officer, locale), [
        "/audit/access-log/",
        f"/audit/access-log/?hospital={referrer.hospital.pk}&patient_number={case.patient.patient_number}"
        f"&date_from={today}&date_to={today}",
    ])
    found += audit(open_page(admin_user, locale), [
        "/beheer/", "/beheer/accounts/user/", f"/beheer/accounts/user/{referrer.pk}/change/",
        "/beheer/accounts/hospital/", "/beheer/accounts/user/add/", "/mdo/meetings/",
    ])
    assert not found, "\n".join(found)


def focused(page):
    """What has the keyboard focus: the error summary, or the id of a field."""
    return page.evaluate("document.activeElement.hasAttribute('data-error-summary') ? 'summary'"
                         " : document.activeElement.id || document.activeElement.tagName")


def assert_summary_has_focus_and_no_violation(page, *texts):
    page.wait_for_selector("[data-error-summary]")
    assert focused(page) == "summary"
    summary = page.locator("[data-error-summary]").inner_text()
    for text in texts:
        assert text in summary, summary
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_a_failed_login_puts_focus_on_the_error_summary(open_page, referrer):
    page = open_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", referrer.username)
    page.fill("input[name=password]", "wrong-password")
    page.click("form.main-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page, "Verbeter het volgende")


def test_an_intake_step_with_an_open_question_links_from_the_summary_to_the_field(open_page, referrer):
    draft = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                        anticoagulation="")
    page = open_page(referrer)
    page.goto(f"/cases/{draft.pk}/intake/history/")
    page.click("button[name=next]:not(.visually-hidden)")
    assert_summary_has_focus_and_no_violation(page, "Beantwoord deze vraag")
    page.click("[data-error-summary] a[href='#id_anticoagulation_0']")
    assert focused(page) == "id_anticoagulation_0"


def test_a_lesion_row_with_an_error_is_named_in_the_summary(open_page, referrer):
    draft = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                        with_lesion=False, lesion_mode="list")
    LesionFactory(case=draft, position=0, region="temporal", side="left", diameter_mm=22)
    page = open_page(referrer)
    page.goto(f"/cases/{draft.pk}/intake/imaging/")
    page.click("button[name=add_lesion]")
    page.wait_for_selector("select[name=lesions-1-region]")
    page.select_option("select[name=lesions-1-region]", "frontal")
    page.click("button[name=next]:not(.visually-hidden)")
    assert_summary_has_focus_and_no_violation(page, "Rij 2")
    link = page.locator("[data-error-summary] a[href^='#id_lesions-1-']").first
    target = link.get_attribute("href")[1:]
    link.click()
    assert focused(page) == target


def test_a_refused_override_and_a_meeting_without_date_focus_their_summary(open_page, world,
                                                                          neuro_oncologist, chair):
    page = open_page(neuro_oncologist)
    page.goto(f"/cases/{world['waiting'].pk}/")
    page.click("details.preconsult-override > summary")
    page.select_option("details.preconsult-override select[name=outcome]", "NEURO_ONC_MDO_QOL")
    page.click("details.preconsult-override button[type=submit]")
    assert_summary_has_focus_and_no_violation(page)
    assert page.locator("details.preconsult-override [data-error-summary]").count() == 1

    page = open_page(chair)
    page.goto("/mdo/meetings/new/")
    page.click("form.main-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page)

    # A meeting of today without an advice yet: its attendance is still open (once an advice is
    # recorded, the form is no longer offered).
    page.goto(f"/mdo/meetings/{planned_meeting(chair).pk}/")
    page.click("form.attendance-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page)
    assert page.locator("form.attendance-form [data-error-summary]").count() == 1


def test_an_advice_without_quorum_and_an_implementation_dated_tomorrow_focus_their_summary(open_page, referrer, chair):
    meeting = planned_meeting(chair)
    case = submitted_case(referrer)
    meeting_services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
    item = AgendaItem.objects.get(case=case)
    page = open_page(chair)
    page.goto(f"/mdo/items/{item.pk}/advice/")
    page.check("input[name=decisions][value=srt]")
    page.check("input[name=follow_up][value=treating_mri]")
    page.fill("input[name=carried_out_by]", "Radiotherapie Centrum")
    page.fill("input[name=first_contact]", "Longarts Noord")
    page.check("input[name=present][value=yes]")  # asked on the advice form itself
    page.click("form.advice-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page, "quorum")

    advised = scheduled_case(referrer, chair)
    register_quorum(advised.meeting, chair)
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=advised.pk, present="yes")
    meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=advised.pk, values=ADVICE)
    page = open_page(referrer)
    page.goto(f"/followup/cases/{advised.case.pk}/implementation/")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    page.check("input[name=srt-status][value=done]")
    page.fill("input[name=srt-done_on]", tomorrow)
    page.fill("form.implementation-form input[name=agreed_on]", tomorrow)
    page.fill("form.implementation-form textarea[name=agreed]", "SRT")
    page.click("form.implementation-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page, "toekomst")
    page.click("[data-error-summary] a[href='#id_agreed_on']")
    assert focused(page) == "id_agreed_on"
    page.click("[data-error-summary] a[href='#id_srt-done_on']")
    assert focused(page) == "id_srt-done_on"


@pytest.fixture
def later_world(world, referrer, neuro_oncologist, chair, admin_user):
    """What the pages added after issue 12 show (follow-up, quality, the live session, the MDO
    report and letter, re-referral and withdrawal, access requests), and the states the first list
    does not reach: a question awaiting the referrer's answer, an urgent case on next week's agenda."""
    from accounts.models import AccessChange, AccessChangeKind
    from followup import services as followup_services
    from meetings.models import AdviceReport
    from tests.workflow import request_info
    from triage.services import current_threshold_set

    item = world["item"]
    report = AdviceReport.objects.get(advice__item=item)
    meeting_services.patient_letter_request(actor=Actor(user=referrer), report_id=report.pk)
    followup_services.plan_create(actor=Actor(user=referrer), case_id=item.case_id,
                                  values=followup_services.plan_proposal(item.case, item.advice))
    asked = submitted_case(referrer)
    request_info(asked, neuro_oncologist)
    upcoming = planned_meeting(chair, days_ahead=7)
    urgent = scheduled_case(referrer, chair, upcoming, urgent=True, urgent_reason="Toenemende hemiparese.")
    # A request for access waiting for a second administrator or the privacy officer (four eyes).
    AccessChange.objects.create(account=referrer, kind=AccessChangeKind.REACTIVATION,
                                requested_by=UserFactory(hospital=None, role=Role.ADMIN, is_staff=True))
    return {"report": report, "asked": asked, "upcoming": upcoming, "urgent": urgent,
            "thresholds": current_threshold_set()}


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_the_later_main_pages_of_every_role_have_no_serious_violation(open_page, world, later_world, referrer,
                                                                      neuro_oncologist, chair, admin_user,
                                                                      centre, locale):
    case, draft, item = world["case"], world["draft"], world["item"]
    report, asked, upcoming = later_world["report"], later_world["asked"], later_world["upcoming"]
    found = audit(open_page(referrer, locale), [
        f"/cases/?q={case.patient.family_name}", "/cases/import/", f"/cases/{asked.pk}/",
        f"/cases/{asked.pk}/intake/clinical/", f"/cases/{case.pk}/advice/{case.current_advice_id}/",
        f"/cases/{draft.pk}/delete/", f"/cases/{case.pk}/report/{report.pk}/",
        f"/cases/{case.pk}/report/{report.pk}/letter/", f"/followup/cases/{case.pk}/", "/quality/",
        "/accounts/2fa/setup/",
    ])
    found += audit(open_page(neuro_oncologist, locale), [
        "/followup/overdue/", f"/followup/cases/{case.pk}/", f"/cases/{case.pk}/report/{report.pk}/",
        f"/patients/{case.patient_id}/", f"/mdo/meetings/{upcoming.pk}/", "/quality/",
    ])
    found += audit(open_page(chair, locale), [
        "/mdo/queue/", f"/mdo/meetings/{upcoming.pk}/", f"/mdo/meetings/{upcoming.pk}/print/",
        f"/mdo/meetings/{item.meeting_id}/live/", "/followup/overdue/", f"/cases/{case.pk}/timeline/",
        "/quality/",
    ])
    officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
    found += audit(open_page(officer, locale), ["/accounts/access/", "/quality/", "/followup/overdue/"])
    found += audit(open_page(admin_user, locale), [
        "/accounts/access/", "/quality/", f"/mdo/meetings/{upcoming.pk}/", f"/mdo/meetings/{upcoming.pk}/edit/",
        "/beheer/casefile/queuedmail/", "/beheer/accounts/accesschange/",
        f"/beheer/triage/thresholdset/{later_world['thresholds'].pk}/change/",
    ])
    assert not found, "\n".join(found)


def test_a_wrong_period_on_the_quality_dashboard_focuses_its_summary(open_page, chair):
    page = open_page(chair)
    page.goto("/quality/", timeout=60_000)
    page.fill("input[name=start]", "2026-06-01")
    page.fill("input[name=end]", "2026-01-01")
    page.click("form.period-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page, "Het begin van de periode ligt na het einde.")
    # A date that is none (a link typed or kept by hand): the field's error, linked.
    page.goto("/quality/?start=2026-02-31&end=2026-06-01", timeout=60_000)
    assert_summary_has_focus_and_no_violation(page, "Van")
    page.click("[data-error-summary] a[href='#id_start']")
    assert focused(page) == "id_start"


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_the_error_pages_have_no_serious_violation(open_page, referrer, locale):
    """What a user meets when a link is wrong (404) or a page is not theirs (403)."""
    page = open_page(referrer, locale)
    found = []
    for url, status in [("/cases/00000000-0000-0000-0000-000000000000/", 404), ("/mdo/queue/", 403)]:
        response = page.goto(url)
        assert response.status == status, url
        violations = axe_violations(page)
        if violations:
            found.append(f"== {url}\n{describe(violations)}")
    assert not found, "\n".join(found)


def test_a_withdrawal_and_a_cancellation_without_reason_focus_their_summary(open_page, referrer, chair):
    case = submitted_case(referrer)
    page = open_page(referrer)
    page.goto(f"/cases/{case.pk}/")
    page.click(".withdraw-panel summary")
    page.click("form.withdraw-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page)
    assert page.locator("form.withdraw-form [data-error-summary]").count() == 1
    page.click("form.withdraw-form [data-error-summary] a[href='#id_reason']")
    assert focused(page) == "id_reason"

    meeting = planned_meeting(chair, days_ahead=7)
    page = open_page(chair)
    page.goto(f"/mdo/meetings/{meeting.pk}/")
    page.click("details.cancel-meeting > summary")
    page.click("form.cancel-form button[type=submit]")
    assert_summary_has_focus_and_no_violation(page)
    assert page.locator("form.cancel-form [data-error-summary]").count() == 1
