"""Every route of the application, for every role and for outsiders.

The table below says what each kind of user gets from each route. A route that is not in the table
fails `test_every_route_is_in_the_table`: a new page must be added here, with a decision on who may
see it, before it can land. Outsiders (a referrer of another hospital, the MDO of another region)
get 404, never 403, and never the data.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AccessChange, AccessChangeKind, Role
from audit.actor import Actor
from audit.models import AccessLog
from followup import services as followup_services
from meetings import services as meeting_services
from meetings.models import AdviceReport
from tests.conftest import verified_login
from tests.factories import CentreFactory, HospitalFactory, UserFactory
from tests.workflow import planned_meeting, record_advice, register_quorum, scheduled_case

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "referrer", "outsider", "neuro_oncologist", "chair", "admin", "privacy_officer",
         "far_mdo"]

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404


def row(anonymous, referrer, outsider, neuro_oncologist, chair, admin, privacy_officer, far_mdo):
    return dict(zip(ROLES, [anonymous, referrer, outsider, neuro_oncologist, chair, admin, privacy_officer,
                            far_mdo], strict=True))


ALL_LOGGED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK, OK)
CASE_READ = row(LOGIN, OK, NOT_FOUND, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND)
REFERRER_ACTION = row(LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
MDO_PAGE = row(LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, OK)
MDO_CASE_ACTION = row(LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND)
MEETING_READ = row(LOGIN, NOT_FOUND, NOT_FOUND, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND)
MEETING_MANAGE = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND)
# The meeting's own facts (date, place, chair, how full, status), no agenda: an administrator
# lists, creates and changes meetings of every centre; never its agenda, attendance, advice or print.
MEETING_FACTS = MEETING_READ | {"admin": OK}

# route name -> (method, arguments from the scenario, expectations)
TABLE = {
    "home": ("get", (), ALL_LOGGED_IN),
    "health": ("get", (), row(OK, OK, OK, OK, OK, OK, OK, OK)),
    "set_language": ("post", (), row(OK, OK, OK, OK, OK, OK, OK, OK)),
    "accounts:login": ("get", (), row(OK, OK, OK, OK, OK, OK, OK, OK)),
    "accounts:logout": ("post", (), row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    "accounts:logout_everywhere": ("post", (), row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    "accounts:password_change": ("get", (), ALL_LOGGED_IN),
    "accounts:password_change_done": ("get", (), ALL_LOGGED_IN),
    "accounts:2fa_verify": ("get", (), ALL_LOGGED_IN),
    "accounts:2fa_setup": ("get", (), ALL_LOGGED_IN),
    # Four eyes: another administrator or the privacy officer of the region decides on access.
    "accounts:access_requests": ("get", (), row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
                                                FORBIDDEN)),
    "accounts:access_request_decide": ("post", ("change",), row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                                                                OK, OK, FORBIDDEN)),
    "referrals:case_list": ("get", (), ALL_LOGGED_IN),
    "referrals:intake_new": ("get", (), REFERRER_ACTION | {"outsider": OK}),
    "casefile:case_detail": ("get", ("case",), CASE_READ),
    "interop:case_fhir": ("get", ("case",), CASE_READ),
    "interop:intake_import": ("get", (), REFERRER_ACTION | {"outsider": OK}),
    "interop:meeting_calendar": ("get", ("meeting",), MEETING_FACTS),
    "referrals:intake_step": ("get", ("case", "step"), CASE_READ),
    "referrals:intake_submit": ("post", ("case",), REFERRER_ACTION),
    "casefile:case_timeline": ("get", ("case",), CASE_READ),
    "casefile:case_advice": ("get", ("case", "advice"), CASE_READ),
    "meetings:queue": ("get", (), MDO_PAGE),
    "casefile:preconsult": ("post", ("case", "action"), MDO_CASE_ACTION),
    "casefile:schedule": ("post", ("case",), MDO_CASE_ACTION),
    "followup:implementation": ("get", ("case",), CASE_READ),
    "followup:reevaluation": ("get", ("case",), CASE_READ),
    "followup:reevaluation_set": ("post", ("case",), REFERRER_ACTION),
    "followup:reevaluation_record": ("post", ("case",), REFERRER_ACTION),
    "casefile:withdraw": ("post", ("case",), REFERRER_ACTION),
    "referrals:case_delete": ("get", ("case",), REFERRER_ACTION),
    "meetings:meeting_list": ("get", (), MDO_PAGE | {"admin": OK}),
    # The chair of another region creates meetings for that region's centre; an administrator
    # for the centre chosen in the form.
    "meetings:meeting_create": ("get", (), row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
                                               FORBIDDEN, OK)),
    # To an administrator the meeting page shows the meeting's facts only (no agenda).
    "meetings:meeting_detail": ("get", ("meeting",), MEETING_FACTS),
    "meetings:meeting_edit": ("get", ("meeting",), MEETING_MANAGE | {"admin": OK}),
    # Held and closed are said of what happened in the meeting: its chair's, not the administrator's.
    "meetings:meeting_status": ("post", ("meeting",), MEETING_MANAGE),
    "meetings:meeting_cancel": ("post", ("meeting",), MEETING_MANAGE),
    "meetings:attendance_add": ("post", ("meeting",), MDO_CASE_ACTION),
    "meetings:attendance_remove": ("post", ("meeting", "attendance"), MDO_CASE_ACTION),
    "meetings:agenda_print": ("get", ("meeting",), MEETING_READ),
    "meetings:agenda_pdf": ("get", ("meeting",), MEETING_READ),
    "meetings:minutes_print": ("get", ("meeting",), MEETING_READ),
    "meetings:minutes_pdf": ("get", ("meeting",), MEETING_READ),
    "meetings:item_move": ("post", ("item",), MDO_CASE_ACTION),
    "meetings:item_remove": ("post", ("item",), MDO_CASE_ACTION),
    "meetings:item_reorder": ("post", ("item",), MDO_CASE_ACTION),
    "meetings:item_presence": ("post", ("item",), MDO_CASE_ACTION),
    "meetings:item_advice": ("get", ("item",), MDO_CASE_ACTION),
    # The live session: whoever records the meeting's advice, as the advice page.
    "meetings:live_start": ("get", ("meeting",), MDO_CASE_ACTION),
    "meetings:live_item": ("get", ("meeting", "item"), MDO_CASE_ACTION),
    "meetings:live_attendance_add": ("post", ("meeting", "item"), MDO_CASE_ACTION),
    "meetings:live_attendance_remove": ("post", ("meeting", "item", "attendance"), MDO_CASE_ACTION),
    # The MDO report and the letter for the patient: as the case. The letter is asked for by the referrer.
    "casefile:report_latest": ("get", ("advised_case",), CASE_READ),
    "casefile:report": ("get", ("advised_case", "report"), CASE_READ),
    "casefile:report_pdf": ("get", ("advised_case", "report"), CASE_READ),
    "casefile:patient_letter": ("get", ("advised_case", "report"), CASE_READ),
    "casefile:patient_letter_pdf": ("get", ("advised_case", "report"), CASE_READ),
    "casefile:patient_letter_request": ("post", ("advised_case", "report"), REFERRER_ACTION),
    # Follow-up: whoever sees the case; "refer again" is the referring hospital's.
    "followup:overdue": ("get", (), row(LOGIN, OK, OK, OK, OK, OK, OK, OK)),
    "followup:plan": ("get", ("case",), CASE_READ),
    "followup:plan_create": ("post", ("case",), CASE_READ),
    "followup:plan_change": ("post", ("plan",), CASE_READ),
    "followup:mri_record": ("post", ("plan", "mri"), CASE_READ),
    "followup:mri_complaints": ("post", ("plan",), CASE_READ),
    "followup:rereferral": ("post", ("plan", "mri"), REFERRER_ACTION),
    "casefile:patient_path": ("get", ("patient",), CASE_READ),
    # The quality dashboard: every role, each over the cases it may see; aggregates only (no patient)
    # for the administrator and the privacy officer.
    "quality:dashboard": ("get", (), ALL_LOGGED_IN),
    "quality:chart": ("get", ("figure",), ALL_LOGGED_IN),
    "quality:csv": ("get", ("figure",), ALL_LOGGED_IN),
    "audit:access_log": ("get", (), row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
                                        FORBIDDEN)),
}


def route_names():
    """Every route outside the Django admin (which has its own staff-only checks)."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace
                     else inner)
            elif isinstance(pattern, URLPattern):
                if not pattern.name:
                    # An unnamed route cannot be put in the table: name it.
                    names.add(f"unnamed route {pattern.pattern} ({pattern.lookup_str})")
                else:
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_is_in_the_table():
    assert route_names() == set(TABLE), "add new routes to TABLE with who may use them"


@pytest.fixture
def scenario(hospital, other_hospital, centre, referrer, neuro_oncologist, chair):
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair, disciplines=("neurology",))
    attendance = item.meeting.attendances.get()
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    far_centre = CentreFactory()
    HospitalFactory(mdo_centre=far_centre)
    planned_meeting(chair, days_ahead=21)
    users = {
        "anonymous": None,
        "referrer": referrer,
        "outsider": UserFactory(hospital=other_hospital, role=Role.REFERRER),
        "neuro_oncologist": neuro_oncologist,
        "chair": chair,
        "admin": UserFactory(hospital=None, role=Role.ADMIN, is_staff=True),
        "privacy_officer": UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER),
        "far_mdo": UserFactory(hospital=far_centre, role=Role.CHAIR),
    }
    change = AccessChange.objects.create(account=referrer, kind=AccessChangeKind.REACTIVATION,
                                         requested_by=UserFactory(hospital=None, role=Role.ADMIN, is_staff=True))
    # A second case of the meeting, advised (no radiotherapy: the quorum is incomplete), with its
    # MDO report, the letter for the patient asked for, and its follow-up plan.
    advised = scheduled_case(referrer, chair, item.meeting)
    advice = record_advice(advised, chair, decisions=["systemic"])
    report = AdviceReport.objects.get(advice__item=advised)
    item.advised = advised
    meeting_services.patient_letter_request(actor=Actor(user=referrer), report_id=report.pk)
    plan, _created = followup_services.plan_create(actor=Actor(user=referrer), case_id=advised.case_id,
                                                   values=followup_services.plan_proposal(advised.case, advice))
    args = {"plan": plan.pk, "mri": plan.mris.get().pk, "patient": advised.case.patient_id,
            "change": change.pk, "case": item.case.pk, "step": "clinical", "action": "accept",
            "meeting": item.meeting.pk, "attendance": attendance.pk, "item": item.pk,
            "advice": item.case.current_advice_id,
            "advised_case": advised.case.pk, "report": report.pk, "figure": "lead_times"}
    return users, args, item


def outcome(response, role):
    if response.status_code in (403, 404):
        return response.status_code
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    assert response.status_code in (200, 302, 400), (role, response.status_code)
    return OK


@pytest.mark.parametrize("name", sorted(TABLE))
def test_route(name, scenario):
    users, args, item = scenario
    method, arg_names, expected = TABLE[name]
    for role in ROLES:
        if "attendance" in arg_names:
            # Each allowed role really removes it; give every role one of its own.
            args["attendance"] = item.meeting.attendances.create(
                name=f"Dr. {role}", discipline="neurology", recorded_by=users["chair"]).pk
        url = reverse(name, args=[args[a] for a in arg_names])
        client = Client()
        if users[role] is not None:
            verified_login(client, users[role])
        last_row = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = getattr(client, method)(url, {})
        got = outcome(response, role)
        assert got == expected[role], f"{name} as {role}: expected {expected[role]}, got {got}"
        if got == NOT_FOUND:
            # Every object of the scenario exists: the 404 is a refused access, and the access log says so.
            refusals = AccessLog.objects.filter(pk__gt=last_row, result="denied")
            assert [row.user for row in refusals] == [users[role]], f"{name} as {role}: refusal not logged"
        if got in (403, 404) or got == LOGIN or role in NO_CASE_ACCESS:
            # Also an allowed page (a list, a queue, another region's meetings) must not show
            # the case to a role that has no access to it.
            content = response.content.decode()
            for patient in (item.case.patient, item.advised.case.patient):
                assert patient.family_name not in content, f"{name} as {role} leaks the patient"
                assert patient.patient_number not in content, f"{name} as {role} leaks the patient"


# Roles for whom the scenario's case is out of reach on every page.
NO_CASE_ACCESS = {"anonymous", "outsider", "admin", "privacy_officer", "far_mdo"}
# Pages shown by GET in the table that also take a POST: the POST must be refused to the same
# roles, and change nothing for them.
GET_AND_POST = ["referrals:intake_new", "referrals:intake_step", "referrals:case_delete",
                "meetings:meeting_create", "meetings:meeting_edit", "meetings:item_advice", "meetings:live_item"]


@pytest.mark.parametrize("name", GET_AND_POST)
def test_the_post_of_a_page_is_refused_to_the_same_roles(name, scenario):
    from audit.models import Event

    users, args, item = scenario
    _, arg_names, expected = TABLE[name]
    url = reverse(name, args=[args[a] for a in arg_names])
    for role in ROLES:
        client = Client()
        if users[role] is not None:
            verified_login(client, users[role])
        events = Event.objects.count()
        response = client.post(url, {"reason": "x", "date": "2030-01-01", "family_name": "Inbreker"})
        got = outcome(response, role)
        assert got == expected[role], f"POST {name} as {role}: expected {expected[role]}, got {got}"
        if got != OK:
            assert Event.objects.count() == events, f"POST {name} as {role} changed something"


POST_ROUTES = sorted({name for name, (method, _, _) in TABLE.items() if method == "post"}
                     | {"accounts:login", "accounts:password_change", "accounts:2fa_verify",
                        "accounts:2fa_setup", "referrals:intake_new", "referrals:intake_step",
                        "referrals:case_delete", "meetings:meeting_create", "meetings:meeting_edit",
                        "meetings:item_advice", "meetings:live_item"})


@pytest.mark.parametrize("name", POST_ROUTES)
def test_every_post_needs_the_csrf_token(name, scenario):
    users, args, item = scenario
    _, arg_names, expected = TABLE[name]
    role = next((r for r in ("chair", "referrer", "privacy_officer") if expected[r] == OK), "chair")
    client = Client(enforce_csrf_checks=True)
    if name != "accounts:login":
        verified_login(client, users[role])
    url = reverse(name, args=[args[a] for a in arg_names])
    response = client.post(url, {"reason": "x", "message": "x", "status": "held"})
    assert response.status_code == 403, f"{name} accepted a POST without a CSRF token"
    assert b"csrf-failure" in response.content


def test_the_administration_shows_no_patient_data():
    """The Django admin (/beheer/) is left out of the table: it holds no clinical model at all."""
    from django.contrib import admin

    exposed = {model._meta.app_label for model in admin.site._registry}
    assert not exposed & {"referrals", "meetings", "audit"}, exposed


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("anonymous", "admin")])
def test_only_the_administrator_enters_the_administration(role, scenario):
    users, _, _ = scenario
    client = verified_login(Client(), users[role])
    for url in ("/beheer/", "/beheer/accounts/user/", "/beheer/triage/thresholdset/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/beheer/login/"), (role, url)
