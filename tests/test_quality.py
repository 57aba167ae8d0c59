"""The quality dashboard (issue 15): its numbers against a small data set computed by hand, the
suppression of small numbers, who sees which cases, its query count, its charts and CSV.

The data set is built through the services with the clock set (`clock`), so every step has the
date written below.

    case  hospital  submitted  pre-consultation          meeting M1 (9 March)       after
    A     H         2 Mar      accept 4 Mar              srt (quorum)                plan 12 Mar, srt done 20 Mar;
                                                                                 monthly MRI: 20 Apr on time,
                                                                                 11 Jun late, 11 Jul overdue
    B     H         2 Mar      info 3 Mar, accept 6 Mar  systemic                    not done: patient's choice
    C     H         3 Mar      override 4 Mar (QOL)      srt + systemic (quorum)     srt done 15 Mar, systemic not done
    D     H         4 Mar      closed 10 Mar             -                           re-evaluated 1 Apr, re-entered;
                                                                                 closed again 2 Apr; re-evaluation
                                                                                 due 10 Apr, overdue
    E     H2        5 Mar      accept 5 Mar              resection
    F     far       2 Mar      accept 3 Mar              (another centre)

H and H2 refer to centre C; the far hospital to another centre. Lead times in calendar days:

    referral → pre-consultation   centre A2 B4 C1 D6 E0: median 2, p90 5.2; H (A-D): median 3, p90 5.4
    pre-consultation → meeting    centre A5 B3 C5 E4: median 4.5, p90 5
    meeting → plan                A3: median 3
    meeting → implementation      A11 C6: median 8.5, p90 10.5
    referral → MDT advice         A7 B7 C6 E4: median 6.5, p90 7
"""

import contextlib
import csv
import datetime
import io
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessLog
from followup import services as followup_services
from followup.models import FollowUpMri
from meetings import services as meeting_services
from meetings.models import MeetingAdvice
from quality.figures import FIGURES, percentile, scope_for
from referrals.models import Case
from referrals.services import case_submit
from tests.conftest import verified_login
from tests.factories import CentreFactory, HospitalFactory, UserFactory
from tests.workflow import ADVICE, register_quorum, submitted_case

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
QOL = "NEURO_ONC_MDO_QOL"


@contextlib.contextmanager
def clock(day, hour=10):
    """The application's clock at `day` (a date in March 2026 by its number, or a date), `hour` o'clock."""
    day = day if isinstance(day, datetime.date) else datetime.date(2026, 3, day)
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _advise(chair, item, decisions):
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    return meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                                  values={**ADVICE, "decisions": decisions})


@pytest.fixture
def data(centre, hospital, other_hospital, referrer, neuro_oncologist, chair):
    colleague = UserFactory(hospital=other_hospital, role=Role.REFERRER)
    far_centre = CentreFactory()
    far_referrer = UserFactory(hospital=HospitalFactory(mdo_centre=far_centre), role=Role.REFERRER)
    far_neuro = UserFactory(hospital=far_centre, role=Role.NEURO_ONCOLOGIST)
    neuro, boss = Actor(user=neuro_oncologist), Actor(user=chair)
    cases = {}
    with clock(2):
        cases["A"] = submitted_case(referrer)
        cases["B"] = submitted_case(referrer)
        cases["F"] = submitted_case(far_referrer)
        meeting = meeting_services.meeting_create(actor=boss, centre=centre, values={
            "date": datetime.date(2026, 3, 9), "start_time": datetime.time(9, 0), "location": "Zaal 2",
            "capacity_cases": 10, "minutes_per_case": 10, "chair": chair})
        empty = meeting_services.meeting_create(actor=boss, centre=centre, values={
            "date": datetime.date(2026, 3, 16), "start_time": datetime.time(9, 0), "location": "Zaal 2",
            "capacity_minutes": 90, "minutes_per_case": 15, "chair": chair})
    with clock(3):
        cases["C"] = submitted_case(referrer)
        meeting_services.case_request_info(actor=neuro, case_id=cases["B"].pk, message="Graag de KPS.")
        meeting_services.case_accept_advice(actor=Actor(user=far_neuro), case_id=cases["F"].pk)
    with clock(4):
        cases["D"] = submitted_case(referrer)
        meeting_services.case_accept_advice(actor=neuro, case_id=cases["A"].pk)
        meeting_services.case_override_advice(actor=neuro, case_id=cases["C"].pk, outcome=QOL,
                                              reason="Kwaliteit van leven.")
    with clock(5):
        b = Case.objects.get(pk=cases["B"].pk)
        case_submit(actor=Actor(user=referrer), case_id=b.pk, expected_version=b.version, answer="KPS 80.")
        cases["E"] = submitted_case(colleague)
        meeting_services.case_accept_advice(actor=neuro, case_id=cases["E"].pk)
    with clock(6):
        meeting_services.case_accept_advice(actor=neuro, case_id=cases["B"].pk)
        items = {key: meeting_services.case_schedule(actor=boss, case_id=cases[key].pk, meeting_id=meeting.pk)
                 for key in "ABCE"}
    with clock(9):
        register_quorum(meeting, chair)
        advices = {key: _advise(chair, items[key], decisions) for key, decisions in
                   (("A", ["srt"]), ("B", ["systemic"]), ("C", ["srt", "systemic"]), ("E", ["resection"]))}
    with clock(10):
        meeting_services.case_close(actor=neuro, case_id=cases["D"].pk, reason="Orgaanspecifiek MDO.",
                                    closed_forum="organ_specific")
    # What came after, through followup's services on their days.
    referrer_actor = Actor(user=referrer)
    with clock(15):
        followup_services.implementation_record(actor=referrer_actor, case_id=cases["B"].pk, rows={
            "systemic": {"status": "not_done", "done_on": datetime.date(2026, 3, 15), "reason": "patient_choice"}})
        followup_services.implementation_record(actor=referrer_actor, case_id=cases["C"].pk, rows={
            "srt": {"status": "done", "done_on": datetime.date(2026, 3, 15)},
            "systemic": {"status": "not_done", "done_on": datetime.date(2026, 3, 15), "reason": "clinical_change"}})
    with clock(20):
        followup_services.implementation_record(
            actor=referrer_actor, case_id=cases["A"].pk, rows={"srt": {"status": "done",
                                                                      "done_on": datetime.date(2026, 3, 20)}},
            agreed_on=datetime.date(2026, 3, 12), agreed="SRT.")
    with clock(11):
        followup_services.reevaluation_set(actor=referrer_actor, case_id=cases["D"].pk,
                                           due_on=datetime.date(2026, 4, 1))
    with clock(datetime.date(2026, 4, 1)):
        followup_services.reevaluation_record(actor=referrer_actor, case_id=cases["D"].pk, values={"kps": 80},
                                              changes="KPS 80.")
    with clock(datetime.date(2026, 4, 2)):  # back in the queue, and closed again for the organ-specific MDT
        meeting_services.case_close(actor=neuro, case_id=cases["D"].pk, reason="Toch orgaanspecifiek MDO.",
                                    closed_forum="organ_specific")
        # A new date for D, closed again: an open re-evaluation that is now past its date.
        followup_services.reevaluation_set(actor=referrer_actor, case_id=cases["D"].pk,
                                           due_on=datetime.date(2026, 4, 10))
    # A's follow-up, a monthly MRI from the meeting (9 March): the first due 9 April.
    with clock(12):
        plan, _created = followup_services.plan_create(actor=referrer_actor, case_id=cases["A"].pk, values={
            "start_date": datetime.date(2026, 3, 9), "interval_months": 1, "later_interval_months": 6,
            "followed_by": "treating", "physician_name": "Dr. X", "first_contact": "Poli"})
    for done in (datetime.date(2026, 4, 20),  # 11 days after 9 April: on time; the next due 20 May
                 datetime.date(2026, 6, 11)):  # 22 days after 20 May: late; the next due 11 July, overdue today
        with clock(done):
            mri = FollowUpMri.objects.get(plan=plan, done_on__isnull=True)
            followup_services.mri_record(actor=referrer_actor, plan_id=plan.pk, mri_id=mri.pk, done_on=done,
                                         result="stable")
    assert FollowUpMri.objects.get(plan=plan, done_on__isnull=True).due_date == datetime.date(2026, 7, 11)
    return {"cases": cases, "meeting": meeting, "empty": empty, "advices": advices, "colleague": colleague,
            "far_neuro": far_neuro}


def figures(user, key, period=MARCH):
    table = FIGURES[key](scope_for(user, *period))
    return {row[0]: row[1:] for row in table.shown_rows(user.role in (Role.ADMIN, Role.PRIVACY_OFFICER))}, table


def test_percentile_interpolates_as_postgresql_does():
    assert percentile({0: 1, 1: 1, 2: 1, 4: 1, 6: 1}, 0.5) == 2
    assert percentile({0: 1, 1: 1, 2: 1, 4: 1, 6: 1}, 0.9) == 5.2
    assert percentile({3: 1, 4: 1, 5: 2}, 0.5) == 4.5
    assert percentile({7: 3}, 0.9) == 7
    assert percentile({}, 0.5) is None


def test_lead_times_of_the_centre(data, chair):
    rows, table = figures(chair, "lead_times")
    assert rows["Verwijzing → vooroverleg"] == ["5", "2", "5.2"]
    assert rows["Vooroverleg → MDO"] == ["4", "4.5", "5"]
    assert rows["MDO → plan afgesproken met de patiënt"] == ["1", "3", "3"]
    assert rows["MDO → advies uitgevoerd"] == ["2", "8.5", "10.5"]
    assert rows["Verwijzing → MDO-advies"] == ["4", "6.5", "7"]
    # The slowest: the closed case (D) is no wait for an advice; A and B waited 7 days.
    listed = [(item["case"].pk, item["days"]) for item in table.listed]
    assert listed[:2] == [(data["cases"]["A"].pk, 7), (data["cases"]["B"].pk, 7)] or \
        listed[:2] == [(data["cases"]["B"].pk, 7), (data["cases"]["A"].pk, 7)]
    assert data["cases"]["F"].pk not in dict(listed)


def test_lead_times_of_the_referrer_count_only_their_hospital(data, referrer):
    rows, _table = figures(referrer, "lead_times")
    assert rows["Verwijzing → vooroverleg"] == ["4", "3", "5.4"]
    assert rows["Vooroverleg → MDO"] == ["3", "5", "5"]
    assert data["cases"]["E"].pk not in {item["case"].pk for item in _table.listed}


def test_completeness(data, chair):
    rows, _ = figures(chair, "completeness")
    assert rows["Ingediende casussen"] == ["5"]
    assert rows["Volledig bij eerste indiening (geen informatie gevraagd)"] == ["4"]
    assert rows["Aandeel volledig bij eerste indiening"] == ["80%"]
    assert rows["Verzoeken om informatie"] == ["1"]
    assert rows["Verzoeken om informatie per casus"] == ["0.2"]


def test_triage_outcomes_and_the_override_table(data, chair):
    outcome = data["cases"]["A"].current_advice.outcome
    rows, _ = figures(chair, "triage_outcomes")
    assert sum(int(values[0]) for values in rows.values()) == 5
    rows, table = figures(chair, "triage_fit")
    (label, values), = rows.items()
    assert label == table.rows[0][0] and outcome != QOL
    # decisions, accepted, overridden, closed, not followed, overridden to
    # D was closed twice: before and after its re-entry.
    assert values[:5] == ["6", "3", "1", "2", "50%"]
    assert values[5].endswith(": 1") and "kwaliteit van leven" in values[5]


def test_every_radiotherapy_advice_had_the_quorum(data, chair):
    rows, table = figures(chair, "law")
    assert rows["Adviezen met radiotherapie"] == ["2"]
    assert rows["Met het wettelijk quorum"] == ["2"]
    assert rows["Aandeel met het quorum (moet 100% zijn)"] == ["100%"]
    assert table.exceptions == []


def test_an_advice_without_the_quorum_is_listed(data, chair):
    # No service records radiotherapy without the quorum: an older or imported record could hold one.
    advice = MeetingAdvice.objects.get(pk=data["advices"]["C"].pk)
    assert advice.includes_radiotherapy and advice.quorum_present
    advice.present_disciplines = ["neurology", "neurosurgery", "radiation_oncology"]
    advice.save(update_fields=["present_disciplines"])  # the columns the figures read follow (derive)
    advice.refresh_from_db()
    assert advice.includes_radiotherapy and not advice.quorum_present
    rows, table = figures(chair, "law")
    assert rows["Zonder het wettelijk quorum"] == ["1"]
    assert rows["Aandeel met het quorum (moet 100% zijn)"] == ["50%"]
    (exception,) = table.exceptions
    assert exception["case"].pk == data["cases"]["C"].pk and exception["missing"] == ["(Neuro)radiologie"]
    page = verified_login(Client(), chair).get(reverse("quality:dashboard"), {"start": "2026-03-01",
                                                                             "end": "2026-03-31"})
    assert data["cases"]["C"].patient.family_name in page.content.decode().split("quorum-exceptions")[1]


def test_attendance_and_capacity(data, chair, referrer):
    rows, _ = figures(chair, "attendance")
    assert rows["Neurochirurgie"] == ["1", "100%"]
    assert rows["Medische oncologie"] == ["0", "0%"]
    rows, _ = figures(chair, "capacity")
    # cases, capacity (cases), planned minutes, capacity (minutes), filled
    assert rows["09-03-2026"] == ["4", "10", "40", "100", "40%"]
    assert rows["16-03-2026"] == ["0", "6", "0", "90", "0%"]
    rows, _ = figures(referrer, "capacity")
    assert rows == {"09-03-2026": ["3", "10", "30", "100", "30%"]}


def test_after_the_meeting(data, chair):
    rows, _ = figures(chair, "after_meeting")
    assert rows["Geadviseerde besluiten met vastgelegde uitvoering"] == ["4"]
    assert rows["Uitgevoerd"] == ["2"]
    assert rows["Aandeel uitgevoerd"] == ["50%"]
    assert rows["Niet uitgevoerd: Keuze van de patiënt"] == ["1"]
    assert rows["Niet uitgevoerd: Een verandering in de klinische situatie"] == ["1"]
    assert rows["Niet uitgevoerd: Een andere reden"] == ["0"]
    assert rows["Gemaakte follow-up-MRI's"] == ["2"]
    assert rows["Waarvan op tijd (binnen 14 dagen na de geplande datum)"] == ["1"]
    assert rows["Follow-up-MRI's nu over tijd"] == ["1"]
    assert rows["Herbeoordelingen gedaan"] == ["1"]
    assert rows["Waarvan opnieuw in aanmerking voor het MDO"] == ["1"]
    assert rows["Herbeoordelingen nu over tijd"] == ["1"]
    assert rows["Casussen opnieuw ingediend na een herbeoordeling"] == ["1"]


def test_the_trend_per_month(data, chair):
    rows, _ = figures(chair, "trend", (datetime.date(2026, 2, 1), datetime.date(2026, 4, 30)))
    assert rows == {"2026-03": ["5", "80%", "2", "6.5"]}


def test_the_period_leaves_out_cases_submitted_outside_it(data, chair):
    rows, _ = figures(chair, "completeness", (datetime.date(2026, 3, 3), datetime.date(2026, 3, 4)))
    assert rows["Ingediende casussen"] == ["2"]  # C and D


def test_the_administrator_sees_every_centre_with_small_numbers_hidden(data, admin_user):
    rows, table = figures(admin_user, "completeness")
    assert rows["Ingediende casussen"] == ["6"]
    assert rows["Volledig bij eerste indiening (geen informatie gevraagd)"] == ["5"]
    assert rows["Teruggestuurd met een verzoek om informatie"] == ["<5"]
    assert rows["Verzoeken om informatie per casus"] == ["0.17"]
    rows, table = figures(admin_user, "lead_times")
    assert rows["MDO → plan afgesproken met de patiënt"] == ["<5", "<5", "<5"]
    assert table.listed == []
    rows, table = figures(admin_user, "law")
    assert rows["Adviezen met radiotherapie"] == ["<5"] and table.exceptions == []
    # A share stands on its smaller side; each count of the breakdown is hidden by itself.
    ((_label, values),) = figures(admin_user, "triage_fit")[0].items()
    assert values[:5] == ["7", "<5", "<5", "<5", "<5"]
    assert values[5].endswith(": <5")
    rows, _ = figures(admin_user, "completeness")
    assert rows["Aandeel volledig bij eerste indiening"] == ["83.3%"]


def test_the_privacy_officer_sees_the_region_only(data, centre):
    officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
    rows, _ = figures(officer, "completeness")
    assert rows["Ingediende casussen"] == ["5"]


def _get(user, name, *args, **query):
    client = verified_login(Client(), user)
    return client.get(reverse(name, args=args), {"start": "2026-03-01", "end": "2026-03-31", **query})


def test_the_dashboard_shows_no_patient_to_the_administrator(data, admin_user, chair):
    content = _get(admin_user, "quality:dashboard").content.decode()
    assert "<5" not in content or "&lt;5" in content
    for case in data["cases"].values():
        assert case.patient.family_name not in content and case.reference not in content
    assert data["cases"]["A"].patient.family_name in _get(chair, "quality:dashboard").content.decode()


def test_every_page_writes_the_access_log(data, chair, admin_user):
    before = AccessLog.objects.count()
    _get(chair, "quality:dashboard")
    rows = AccessLog.objects.filter(pk__gt=0).order_by("-id")[: AccessLog.objects.count() - before]
    assert {row.object_type for row in rows} == {"quality_dashboard"}
    assert {row.case_id for row in rows if row.case_id} == {c.pk for k, c in data["cases"].items() if k in "ABCE"}
    _get(admin_user, "quality:chart", "lead_times")
    _get(admin_user, "quality:csv", "law")
    last = list(AccessLog.objects.order_by("-id")[:2])
    assert [(row.object_type, row.action, row.case_id) for row in last] == [
        ("quality_csv", "export", None), ("quality_chart", "read", None)]


def test_a_chart_of_the_dashboard_is_logged_with_the_dashboard_and_alone_by_itself(data, chair, referrer):
    client = verified_login(Client(), chair)
    page = client.get(reverse("quality:dashboard"), {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    src = page.split('class="quality-chart img-fluid" src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    last = AccessLog.objects.order_by("-id").values_list("id", flat=True).first()
    assert client.get(src).status_code == 200
    assert not AccessLog.objects.filter(pk__gt=last).exists()
    # Another user with the same address, or the chart without it: a row of its own.
    other = verified_login(Client(), referrer)
    assert other.get(src).status_code == 200
    assert client.get(src.split("&shown=")[0]).status_code == 200
    rows = AccessLog.objects.filter(pk__gt=last).order_by("id")
    assert [(row.user, row.object_type) for row in rows] == [(referrer, "quality_chart"), (chair, "quality_chart")]


def test_the_csv_of_a_table(data, chair, admin_user):
    response = _get(chair, "quality:csv", "completeness")
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Periode", "01-03-2026", "31-03-2026"]
    assert lines[1] == ["Gegeven", "Waarde"]
    assert ["Aandeel volledig bij eerste indiening", "80%"] in lines
    lines = list(csv.reader(io.StringIO(_get(admin_user, "quality:csv", "completeness").content.decode("utf-8-sig")),
                            delimiter=";"))
    assert ["Teruggestuurd met een verzoek om informatie", "<5"] in lines
    assert _get(chair, "quality:csv", "nothing").status_code == 404


def test_the_chart_is_an_svg_without_script(data, chair):
    response = _get(chair, "quality:chart", "lead_times")
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<script" not in svg
    assert "Doorlooptijden" in svg


def test_the_dashboard_speaks_english(data, chair):
    chair.language = "en"
    chair.save()
    content = _get(chair, "quality:dashboard").content.decode()
    assert "Lead times (days)" in content and "Referral → MDT advice" in content


def _queries(user, name, *args):
    client = verified_login(Client(), user)
    url = reverse(name, args=args)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["chair", "admin_user"])
def test_the_query_count_does_not_grow_with_the_number_of_cases(role, request, centre, referrer, neuro_oncologist,
                                                                 chair):
    user = request.getfixturevalue(role)

    def add_cases(count, day):
        with clock(day):
            for _ in range(count):
                case = submitted_case(referrer)
                meeting_services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk)

    # Issue 17: the same at 5 and at 50 cases (rows of the tables, the slowest cases, the months).
    add_cases(5, 2)
    few = {name: _queries(user, name, *args) for name, args in (("quality:dashboard", ()),
                                                                ("quality:csv", ("lead_times",)))}
    add_cases(25, 3)
    add_cases(20, datetime.date(2026, 5, 4))
    many = {name: _queries(user, name, *args) for name, args in (("quality:dashboard", ()),
                                                                 ("quality:csv", ("lead_times",)))}
    assert many == few


def test_the_demo_history_fills_every_figure(centre, hospital, other_hospital, referrer, neuro_oncologist, chair,
                                             admin_user):
    from quality.demo import add_quality_history

    users = {"verwijzer": referrer, "verwijzer2": UserFactory(hospital=other_hospital, role=Role.REFERRER),
             "neuroonc": neuro_oncologist, "voorzitter": chair}
    add_quality_history(users, centre)
    today = timezone.localdate()
    period = (today - datetime.timedelta(days=200), today)
    scope = scope_for(chair, *period)
    for key, compute in FIGURES.items():
        table = compute(scope)
        shown = table.shown_rows(False)
        assert shown, key
        assert any(cell not in ("0", "0%", "–") for row in shown for cell in row[1:]), (key, shown)
    rows = {row[0]: row[1:] for row in FIGURES["after_meeting"](scope).shown_rows(False)}
    for label in ("Niet uitgevoerd: Keuze van de patiënt", "Follow-up-MRI's nu over tijd", "Herbeoordelingen gedaan",
                  "Casussen opnieuw ingediend na een herbeoordeling",
                  "Waarvan op tijd (binnen 14 dagen na de geplande datum)"):
        assert rows[label] != ["0"], label
    # The administrator sees real numbers too, not only "<5".
    shown = FIGURES["lead_times"](scope_for(admin_user, *period)).shown_rows(True)
    assert all(row[1] not in ("<5", "0") for row in shown), shown


def test_a_period_that_ends_before_it_starts_is_refused_and_the_default_shown(chair):
    response = verified_login(Client(), chair).get(reverse("quality:dashboard"), {"start": "2026-05-01",
                                                                                 "end": "2026-04-01"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Het begin van de periode ligt na het einde." in content
    assert response.context["scope"].end == timezone.localdate()
