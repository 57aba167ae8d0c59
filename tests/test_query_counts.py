"""Every list page and the case page cost the same number of queries for 5 rows as for 50.

Each test measures a page with 5 rows, adds 45 more of the same kind, and measures again. A page
that asks the database once per row fails with the queries of both runs, so the culprit shows.
The first request of each page is not counted: it warms per-process caches (content types,
the stored thresholds) that a running server has warm already.
"""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessLog
from meetings import services as meeting_services
from referrals.models import CaseStatus
from referrals.services import case_save_step
from tests.conftest import verified_login
from tests.factories import CaseFactory, CentreFactory, LesionFactory, PatientFactory, UserFactory
from tests.workflow import ADVICE, planned_meeting, register_quorum, scheduled_case, submitted_case, time_passes

pytestmark = pytest.mark.django_db

FEW, MANY = 5, 50


def count_queries(client, url, data=None):
    client.get(url, data)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, data)
    assert response.status_code == 200, (url, response.status_code)
    return [query["sql"] for query in context.captured_queries]


def assert_same_cost(client, url, add_rows, data=None):
    """Measure `url` now (FEW rows), call add_rows(MANY - FEW), measure again."""
    few = count_queries(client, url, data)
    add_rows(MANY - FEW)
    many = count_queries(client, url, data)
    assert len(few) == len(many), (
        f"{url}: {len(few)} queries with {FEW} rows, {len(many)} with {MANY}\n"
        + "\n".join(many)
    )
    return len(many)


def draft(referrer, **answers):
    return CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **answers)


class TestListPages:
    def test_case_list_of_a_referrer(self, client, referrer):
        def add(n):
            for index in range(n):
                if index % 2:
                    submitted_case(referrer)
                else:
                    draft(referrer)

        add(FEW)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("referrals:case_list"), add)

    def test_case_list_filtered_by_status(self, client, referrer):
        def add(n):
            for _ in range(n):
                submitted_case(referrer)

        add(FEW)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("referrals:case_list"), add, {"status": CaseStatus.SUBMITTED})

    def test_case_list_of_a_neuro_oncologist(self, client, referrer, other_hospital, neuro_oncologist):
        other = UserFactory(hospital=other_hospital, role=Role.REFERRER)

        def add(n):
            for index in range(n):
                submitted_case(referrer if index % 2 else other)

        add(FEW)
        verified_login(client, neuro_oncologist)
        assert_same_cost(client, reverse("referrals:case_list"), add)

    def test_the_preconsultation_queue(self, client, referrer, other_hospital, neuro_oncologist):
        other = UserFactory(hospital=other_hospital, role=Role.REFERRER)

        def add(n):
            for index in range(n):
                case = submitted_case(referrer if index % 2 else other, kps=None if index % 3 else 80,
                                      kps_unknown=bool(index % 3))
                if index % 4 == 0:
                    meeting_services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk)

        add(FEW)
        verified_login(client, neuro_oncologist)
        assert_same_cost(client, reverse("meetings:queue"), add)

    def test_the_queue_searched_and_sorted(self, client, referrer, neuro_oncologist):
        def add(n):
            for _ in range(n):
                submitted_case(referrer, question_to_mdo="Resectie?")

        add(FEW)
        verified_login(client, neuro_oncologist)
        assert_same_cost(client, reverse("meetings:queue"), add,
                         {"q": "Jansen", "sort": "hospital", "complete": "yes"})

    def test_the_meeting_list(self, client, referrer, chair):
        state = {"days": 0}

        def add(n):
            for _ in range(n):
                state["days"] += 1
                meeting = planned_meeting(chair, days_ahead=state["days"])
                if state["days"] % 5 == 0:
                    scheduled_case(referrer, chair, meeting)

        add(FEW)
        verified_login(client, chair)
        assert_same_cost(client, reverse("meetings:meeting_list"), add)

    def test_the_meeting_list_of_an_administrator(self, client, referrer, chair, admin_user):
        """Every centre's meetings, each with its centre."""
        far_chair = UserFactory(hospital=CentreFactory(), role=Role.CHAIR)
        state = {"days": 0}

        def add(n):
            for _ in range(n):
                state["days"] += 1
                planned_meeting(far_chair if state["days"] % 2 else chair, days_ahead=state["days"])
                if state["days"] % 5 == 0:
                    scheduled_case(referrer, chair)

        add(FEW)
        verified_login(client, admin_user)
        assert_same_cost(client, reverse("meetings:meeting_list"), add)

    def test_the_meeting_page_with_its_agenda_and_attendance(self, client, referrer, chair):
        meeting = planned_meeting(chair, capacity_cases=100)
        register_quorum(meeting, chair)
        state = {"n": 0}

        def add(n):
            for _ in range(n):
                state["n"] += 1
                item = scheduled_case(referrer, chair, meeting)
                meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk,
                                                discipline="other", mode="video", name=f"Dr. {state['n']}")
                if state["n"] % 2:
                    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
                    meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                                           values=ADVICE)

        add(FEW)
        verified_login(client, chair)
        assert_same_cost(client, reverse("meetings:meeting_detail", args=[meeting.pk]), add)

    @pytest.mark.parametrize("name", ["meetings:meeting_detail", "meetings:agenda_print", "meetings:agenda_pdf"])
    def test_the_agenda_with_cases_discussed_before(self, client, referrer, chair, name):
        """Each case brings the date and advice of its earlier meeting: read with the agenda."""
        earlier = planned_meeting(chair, capacity_cases=100)
        register_quorum(earlier, chair)
        meeting = planned_meeting(chair, days_ahead=7, capacity_cases=100)
        state = {"n": 0}

        def add(n):
            for _ in range(n):
                state["n"] += 1
                if state["n"] % 3 == 0:  # and some on the agenda for the first time
                    scheduled_case(referrer, chair, meeting)
                    continue
                item = scheduled_case(referrer, chair, earlier)
                meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
                meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values={
                    **ADVICE, "decisions": ["diagnostics", "discuss_again"], "text": "Eerst perfusie-MRI."})
                meeting_services.case_schedule(actor=Actor(user=chair), case_id=item.case_id, meeting_id=meeting.pk)

        add(FEW)
        verified_login(client, chair)
        assert_same_cost(client, reverse(name, args=[meeting.pk]), add)

    def test_the_access_log_of_a_patient(self, client, referrer, centre, neuro_oncologist):
        case = submitted_case(referrer)
        officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
        url = reverse("casefile:case_detail", args=[case.pk])
        readers = [verified_login(type(client)(), user) for user in (referrer, neuro_oncologist)]
        start = AccessLog.objects.filter(patient=case.patient).count()

        def add(n):
            for index in range(n):
                readers[index % 2].get(url)

        # The page lists accesses, and viewing it adds one: start from about FEW entries.
        add(max(FEW - start, 0))
        verified_login(client, officer)
        today = timezone.localdate().isoformat()
        query = {"hospital": referrer.hospital.pk, "patient_number": case.patient.patient_number,
                 "date_from": today, "date_to": today}
        assert_same_cost(client, reverse("audit:access_log"), add, query)


class TestCasePage:
    def test_the_case_page_of_a_draft_with_many_lesions(self, client, referrer):
        case = draft(referrer, with_lesion=False)

        def add(n):
            for _ in range(n):
                LesionFactory(case=case, position=case.lesions.count())

        add(FEW)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("casefile:case_detail", args=[case.pk]), add)

    def test_the_imaging_step_with_many_lesions(self, client, referrer):
        case = draft(referrer, with_lesion=False)

        def add(n):
            for _ in range(n):
                LesionFactory(case=case, position=case.lesions.count())

        add(FEW)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("referrals:intake_step", args=[case.pk, "imaging"]), add)

    def test_the_review_step_with_many_lesions(self, client, referrer):
        case = draft(referrer, with_lesion=False)

        def add(n):
            for _ in range(n):
                LesionFactory(case=case, position=case.lesions.count())

        add(FEW)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("referrals:intake_step", args=[case.pk, "review"]), add)

    def test_the_case_page_in_pre_consultation_with_a_long_history(self, client, referrer, neuro_oncologist,
                                                                    chair):
        """Pre-consultation records, stored advices and meetings (the schedule form) all grow."""
        case = submitted_case(referrer)
        state = {"days": 0}

        def add(n):
            for _ in range(n):
                actor = Actor(user=neuro_oncologist)
                meeting_services.case_request_info(actor=actor, case_id=case.pk, message="Graag de MRI.")
                case.refresh_from_db()
                from referrals.services import case_submit

                case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)
                # A full meeting: the proposal must look past it.
                state["days"] += 1
                full = planned_meeting(chair, days_ahead=state["days"], capacity_cases=1)
                scheduled_case(referrer, chair, full)

        add(FEW)
        verified_login(client, neuro_oncologist)
        assert_same_cost(client, reverse("casefile:case_detail", args=[case.pk]), add)

    def test_the_case_page_after_the_meeting(self, client, referrer, chair):
        meeting = planned_meeting(chair, capacity_cases=100)
        register_quorum(meeting, chair)
        item = scheduled_case(referrer, chair, meeting)
        meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        case = item.case
        for _ in range(FEW):
            LesionFactory(case=case)

        def add(n):
            for _ in range(n):
                LesionFactory(case=case)
                meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)

        meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("casefile:case_detail", args=[case.pk]), add)

    def test_the_case_timeline(self, client, referrer):
        case = draft(referrer)

        def add(n):
            for index in range(n):
                case.refresh_from_db()
                case_save_step(actor=Actor(user=referrer), case_id=case.pk, step_key="clinical",
                               values={"kps": 60 + 10 * (index % 4)}, expected_version=case.version)

        add(FEW)
        verified_login(client, referrer)
        assert_same_cost(client, reverse("casefile:case_timeline", args=[case.pk]), add)


def test_a_week_of_meetings_in_the_past_does_not_change_the_meeting_list(client, chair):
    """Past meetings are listed too (the last 30); they are rows like the others."""
    def add(n):
        for index in range(n):
            time_passes(planned_meeting(chair, days_ahead=1), days_ago=index + 1)

    add(FEW)
    verified_login(client, chair)
    assert_same_cost(client, reverse("meetings:meeting_list"), add)


def test_the_logged_in_floor_reads_session_user_hospital_and_device_in_one_query(client, referrer):
    """Issue 17, target 1: the session row joined with the user, the hospital and the 2FA device
    check (accounts.sessions); no query of its own for the user or the device. The health page
    adds only its SELECT 1."""
    verified_login(client, referrer)
    client.get("/health/")
    with CaptureQueriesContext(connection) as context:
        assert client.get("/health/").status_code == 200
    sql = [query["sql"] for query in context.captured_queries]
    assert len(sql) == 2, sql
    assert "accounts_session" in sql[0] and '"accounts_user"' in sql[0] and "otp_totp_totpdevice" in sql[0]
    assert sql[1] == "SELECT 1"


def test_a_stored_advice_page_with_many_earlier_advices(client, referrer, neuro_oncologist):
    """Every re-submission stores a new advice; the page of one of them reads that one only."""
    from referrals.services import case_submit

    case = submitted_case(referrer)

    def add(n):
        for _ in range(n):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de MRI.")
            case.refresh_from_db()
            case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)

    add(FEW)
    case.refresh_from_db()
    verified_login(client, referrer)
    assert_same_cost(client, reverse("casefile:case_advice", args=[case.pk, case.current_advice_id]), add)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL's planner")
def test_the_queue_first_page_is_read_in_index_order(client, referrer, neuro_oncologist):
    """The queue's order (urgent first, then longest waiting) is the order of the index
    case_queue_waiting: its first page stops after 26 rows of the index instead of sorting the
    centre's whole queue (at 100,000 cases that sort was most of the page's database time)."""
    for _ in range(3):
        submitted_case(referrer)
    verified_login(client, neuro_oncologist)
    url = reverse("meetings:queue")
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    sql = next(query["sql"] for query in context.captured_queries
               if 'FROM "referrals_case"' in query["sql"] and "LIMIT 26" in query["sql"])
    with connection.cursor() as cursor:
        # A handful of test rows would be read by a sequential scan: ask for the index's plan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using case_queue_waiting" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL's planner")
def test_the_notice_of_unimplemented_advices_reads_the_hospitals_cases_in_that_status(referrer):
    """The case list's first notice (followup.presenters) looks for the referring hospital's
    discussed cases: the index case_hospital_status finds them without reading every centre's."""
    from followup.services import advices_without_implementation
    from referrals.access import cases_visible_to

    sql, params = advices_without_implementation(cases_visible_to(referrer)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_hospital_status on" in plan, plan
