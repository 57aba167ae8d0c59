"""Parallel requests on PostgreSQL: real transactions, real row locks, one connection per thread.

Each test logs its users in first, then starts its threads together on a barrier; every thread
sends its request through the real view with a test client of its own and closes its database
connection at the end. The database is checked afterwards: what should land, landed once; what
should be refused, was refused with a message and wrote nothing.
"""

import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from mailer.models import Message

from accounts.models import Role
from audit.models import Event
from meetings import pdfs
from meetings.models import AgendaItem, MeetingPdf, PdfRender
from referrals.models import Case, CaseStatus, Patient
from tests.conftest import verified_login
from tests.factories import CaseFactory, PatientFactory, UserFactory
from tests.intake_helpers import STEP_DATA
from tests.mailqueue import discard, drain
from tests.workflow import planned_meeting, scheduled_case, submitted_case
from triage.models import Advice

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def in_parallel(calls, timeout=60):
    """Run the callables in threads started together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def work(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    if errors:
        raise errors[0]
    return results


def logged_in(user):
    return verified_login(Client(), user)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def post(client, url, data):
    return lambda: client.post(url, data)


def draft(referrer, **answers):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **answers)
    case.refresh_from_db()
    return case


@pytest.fixture
def notified(neuro_oncologist):
    """A neuro-oncologist of the centre, so that every submit sends one e-mail."""
    mail.outbox.clear()
    discard()
    return neuro_oncologist


class TestSubmit:
    def test_twenty_parallel_submits_of_different_cases_all_land(self, referrer, colleague, notified):
        cases = [draft(referrer if index % 2 else colleague) for index in range(20)]
        # One client (browser) per thread, each with a session of its own.
        calls = [post(logged_in(case.referring_physician), reverse("referrals:intake_submit", args=[case.pk]),
                      {"version": case.version})
                 for case in cases]

        responses = in_parallel(calls)

        for case, response in zip(cases, responses, strict=True):
            assert response.status_code == 302
            assert response["Location"] == reverse("casefile:case_detail", args=[case.pk])
            assert messages_of(response) == ["De casus is ingediend. Het advies staat hieronder."]
            case.refresh_from_db()
            assert case.status == CaseStatus.SUBMITTED
            assert case.current_advice is not None
            assert Advice.objects.filter(case=case).count() == 1
            assert Event.objects.filter(case=case, action="case.submitted").count() == 1
        drain()
        # One mail to the neuro-oncologist and one confirmation to the referrer per submission.
        assert len([m for m in mail.outbox if m.to == [notified.email]]) == 20
        assert len(mail.outbox) == 40

    @pytest.mark.parametrize("attempt", range(3))
    def test_the_same_submit_sent_twice_in_parallel_lands_once(self, referrer, colleague, notified, attempt):
        case = draft(referrer)
        url = reverse("referrals:intake_submit", args=[case.pk])
        # A double click (one session) and two colleagues (two sessions) at once.
        first = logged_in(referrer)
        second = first if attempt == 0 else logged_in(colleague)

        responses = in_parallel([post(first, url, {"version": case.version}),
                                 post(second, url, {"version": case.version})])

        assert [r.status_code for r in responses] == [302, 302]
        said = sorted(message for response in responses for message in messages_of(response))
        assert said == ["De casus is ingediend. Het advies staat hieronder.",
                        "Deze casus is al ingediend; er is niets gewijzigd."]
        before = case.version
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED
        assert case.version == before + 1
        assert Advice.objects.filter(case=case).count() == 1
        assert Event.objects.filter(case=case, action="case.submitted").count() == 1
        assert case.history.filter(status=CaseStatus.SUBMITTED).count() == 1
        drain()
        assert len([m for m in mail.outbox if m.to == [notified.email]]) == 1
        assert len(mail.outbox) == 2  # and the referrer's confirmation

    def test_the_same_first_save_sent_twice_in_parallel_makes_one_draft(self, referrer):
        """A double click on "next" of a new referral: one patient, one draft, both clicks lead to it."""
        client = logged_in(referrer)
        data = {**STEP_DATA["patient"], "intake_token": "0b7d1c9e-3f3a-4c1e-9a57-5a3f0f9e2c11", "next": "1"}
        url = reverse("referrals:intake_new")

        responses = in_parallel([post(client, url, data), post(client, url, data)])

        case = Case.objects.get()
        assert Patient.objects.count() == 1
        target = reverse("referrals:intake_step", args=[case.pk, "oncology"])
        assert [(r.status_code, r.get("Location")) for r in responses] == [(302, target), (302, target)]
        assert Event.objects.filter(case=case, action="case.created").count() == 1


class TestSchedule:
    def test_ten_parallel_placements_on_five_free_places_place_exactly_five(
            self, referrer, chair, neuro_oncologist):
        meeting = planned_meeting(chair, capacity_cases=8)
        for _ in range(3):
            scheduled_case(referrer, chair, meeting)
        cases = [submitted_case(referrer) for _ in range(10)]
        versions = {case.pk: case.version for case in cases}
        calls = [post(logged_in(chair if index % 2 else neuro_oncologist),
                      reverse("casefile:schedule", args=[case.pk]), {"meeting": meeting.pk})
                 for index, case in enumerate(cases)]

        responses = in_parallel(calls)

        said = [messages_of(response) for response in responses]
        with translation.override("nl"):  # the meeting's name in the users' language
            done = f"De casus staat op de agenda van {meeting}."
        placed = [case for case, messages in zip(cases, said, strict=True) if messages == [done]]
        refused = [case for case, messages in zip(cases, said, strict=True)
                   if messages == ["Deze vergadering is vol (8 casussen)."]]
        assert len(placed) == 5 and len(refused) == 5, said
        assert all(r.status_code == 302 for r in responses)
        assert AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True).count() == 8
        for case in placed:
            case.refresh_from_db()
            assert case.status == CaseStatus.SCHEDULED
        for case in refused:
            case.refresh_from_db()
            # Refused means untouched: status, version, no agenda item, no event.
            assert case.status == CaseStatus.SUBMITTED and case.version == versions[case.pk]
            assert not AgendaItem.objects.filter(case=case).exists()
            assert not Event.objects.filter(case=case, action="case.scheduled").exists()
        positions = sorted(AgendaItem.objects.filter(meeting=meeting).values_list("position", flat=True))
        assert positions == list(range(1, 9))

    def test_one_case_placed_on_two_meetings_at_once_lands_on_one(self, referrer, chair, neuro_oncologist):
        first, second = planned_meeting(chair, days_ahead=7), planned_meeting(chair, days_ahead=14)
        case = submitted_case(referrer)
        url = reverse("casefile:schedule", args=[case.pk])

        responses = in_parallel([post(logged_in(chair), url, {"meeting": first.pk}),
                                 post(logged_in(neuro_oncologist), url, {"meeting": second.pk})])

        assert AgendaItem.objects.filter(case=case).count() == 1
        said = [m for response in responses for m in messages_of(response)]
        assert sum(m.startswith("De casus staat op de agenda") for m in said) == 1
        assert sum(m.startswith("Dit kan niet in de huidige status") for m in said) == 1, said


class TestEditing:
    def form_version(self, client, case, step):
        page = client.get(reverse("referrals:intake_step", args=[case.pk, step]))
        return int(re.search(r'name="version" value="(\d+)"', page.content.decode()).group(1))

    def test_two_users_saving_the_same_step_at_once_the_second_is_refused_and_sees_what_changed(
            self, referrer, colleague):
        case = draft(referrer, kps=60, neuro_deficit_detail="")
        anna, bert = logged_in(referrer), logged_in(colleague)
        # Both open the step before either saves.
        versions = [self.form_version(anna, case, "clinical"), self.form_version(bert, case, "clinical")]
        url = reverse("referrals:intake_step", args=[case.pk, "clinical"])
        typed = [
            {**STEP_DATA["clinical"], "kps": "70", "neuro_deficit": "yes", "neuro_deficit_detail": "afasie",
             "epilepsy": "no", "rapid_kps_improvement": "yes", "qol_improvement": "yes"},
            {**STEP_DATA["clinical"], "kps": "90", "dexamethasone_mg": "8"},
        ]

        responses = in_parallel([post(anna, url, {**typed[0], "version": versions[0], "save": "1"}),
                                 post(bert, url, {**typed[1], "version": versions[1], "save": "1"})])

        codes = [r.status_code for r in responses]
        assert sorted(codes) == [200, 302], codes
        winner, loser = (0, 1) if codes[0] == 302 else (1, 0)
        refused = responses[loser].content.decode()
        assert "NIET opgeslagen" in refused
        assert "Gewijzigd door iemand anders" in refused
        # The change the other user made is listed (field, was, now) ...
        changes = {(str(c.label), c.old, c.new) for c in responses[loser].context["stale"].changes}
        assert ("KPS", 60, int(typed[winner]["kps"])) in changes
        # ... the refused input is still in the form, to be saved again deliberately ...
        assert f'value="{typed[loser]["kps"]}"' in refused
        case.refresh_from_db()
        assert f'name="version" value="{case.version}"' in refused
        # ... and the database holds the first save only.
        assert case.version == versions[0] + 1
        assert case.kps == int(typed[winner]["kps"])
        assert case.neuro_deficit_detail == typed[winner].get("neuro_deficit_detail", "")
        assert Event.objects.filter(case=case, action="case.step_saved").count() == 1

    def test_two_chairs_changing_the_same_meeting_at_once_one_is_refused(self, chair, centre):
        other_chair = UserFactory(hospital=centre, role=Role.CHAIR)
        meeting = planned_meeting(chair)
        url = reverse("meetings:meeting_edit", args=[meeting.pk])
        base = {"date": meeting.date.isoformat(), "start_time": "16:00", "video_link": "",
                "capacity_cases": "10", "capacity_minutes": "", "minutes_per_case": "10",
                "chair": chair.pk, "version": meeting.version}

        responses = in_parallel([post(logged_in(chair), url, {**base, "location": "Zaal A"}),
                                 post(logged_in(other_chair), url, {**base, "location": "Zaal B"})])

        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 302], codes
        refused = next(r for r in responses if r.status_code == 200)
        assert any("door iemand anders gewijzigd" in m for m in messages_of(refused)), messages_of(refused)
        landed = next(r for r in responses if r.status_code == 302)
        meeting.refresh_from_db()
        assert meeting.version == base["version"] + 1
        assert meeting.location == landed.wsgi_request.POST["location"]


class TestMailQueue:
    @pytest.mark.parametrize("attempt", range(2))
    def test_two_workers_on_one_queue_send_each_mail_once(self, referrer, notified, attempt):
        for _ in range(10):
            submitted_case(referrer)  # two mails each: the neuro-oncologist and the confirmation
        assert Message.objects.count() == 20

        results = in_parallel([drain, drain, drain])

        assert sum(sent for sent, _ in results) == 20
        assert not Message.objects.exists()
        assert len(mail.outbox) == 20
        assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 20
        assert Event.objects.filter(action="mail.sent").count() == 20


class TestPdfQueue:
    def test_two_pdf_workers_make_each_document_once(self, referrer, chair):
        for days_ahead in (0, 7, 14):
            scheduled_case(referrer, chair, planned_meeting(chair, days_ahead=days_ahead))
        assert PdfRender.objects.count() == 3

        results = in_parallel([pdfs.render_due, pdfs.render_due])

        assert sum(made for made, _failed in results) == 3 and sum(failed for _made, failed in results) == 0
        assert MeetingPdf.objects.count() == 3
        assert not any(render.pending for render in PdfRender.objects.all())


class TestLockOrder:
    """A case (or meeting, or user) locked for an edit must not block a log row that points to it.

    Every audit row holds the chain head until commit, and PostgreSQL checks its foreign keys at
    commit with FOR KEY SHARE on the rows it points to. A FOR UPDATE lock on the case conflicts with
    that: one request holding the chain head waited for the case, the other holding the case waited
    for the chain head (a deadlock seen in CI). The edit locks are FOR NO KEY UPDATE, which do not.
    """

    def test_an_access_row_for_a_locked_case_commits_while_the_case_stays_locked(self, referrer):
        from django.db import transaction

        from audit.actor import Actor
        from audit.models import AccessAction, AccessLog
        from audit.services import access_record
        from referrals.transition import lock_case

        case = draft(referrer)
        locked, release = threading.Event(), threading.Event()

        def hold_the_case():
            with transaction.atomic():
                lock_case(case.pk)
                locked.set()
                release.wait(timeout=30)

        def log_a_read():
            locked.wait(timeout=30)
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '3s'")
                    access_record(actor=Actor(user=referrer, ip="10.0.0.1"), action=AccessAction.READ,
                                  object_type="case", case=case)
                return "committed"
            finally:
                release.set()

        results = in_parallel([hold_the_case, log_a_read])

        assert results[1] == "committed"
        assert AccessLog.objects.filter(case=case, client_ip="10.0.0.1").count() == 1
