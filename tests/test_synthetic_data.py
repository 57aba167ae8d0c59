"""manage.py synthetic_data at small scale: consistent data, marked synthetic, refuses real data."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from audit.models import AccessLog, Event
from meetings.models import AgendaItem, Meeting, MeetingAdvice, MeetingStatus
from referrals.intake import open_questions
from referrals.models import Case, CaseStatus, Lesion, Patient
from tests.conftest import verified_login
from tests.factories import PatientFactory
from triage.quorum import missing_disciplines, needs_quorum
from triage.readiness import meeting_gaps

pytestmark = pytest.mark.django_db

ON_AGENDA = (CaseStatus.SCHEDULED, CaseStatus.DISCUSSED, CaseStatus.IMPLEMENTED)


def run(**options):
    out = StringIO()
    call_command("synthetic_data", cases=60, seed=7, centres=2, hospitals_per_centre=2, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def synthetic():
    return run()


def test_it_creates_the_cases_and_says_what_it_made(synthetic):
    assert Case.objects.count() == 60
    assert "Synthetic data created in" in synthetic
    assert "referrals.Case " in synthetic
    assert Lesion.objects.exists() and Meeting.objects.exists() and AgendaItem.objects.exists()


def test_patients_are_marked_synthetic_with_made_up_names(synthetic):
    assert not Patient.objects.filter(is_synthetic=False).exists()
    assert all(p.family_name.startswith("Synth-") and p.patient_number.startswith("SYN")
               for p in Patient.objects.all())


def test_every_submitted_case_has_a_stored_advice_with_its_rule_set_version(synthetic):
    submitted = Case.objects.exclude(status=CaseStatus.DRAFT).select_related("current_advice")
    assert submitted.exists()
    for case in submitted:
        assert case.current_advice is not None, case.status
        assert case.current_advice.case_id == case.pk
        assert case.current_advice.rule_set_version
        assert case.submitted_at is not None
        lesions = list(case.lesions.all())
        assert open_questions(case, lesions) == []
        assert case.meeting_gaps == meeting_gaps(case, lesions, case.current_advice.missing)
        assert case.meeting_ready == (not case.meeting_gaps)
    assert not Case.objects.filter(status=CaseStatus.DRAFT, current_advice__isnull=False).exists()


def test_agenda_capacity_is_never_exceeded_and_a_case_is_on_one_agenda(synthetic):
    for meeting in Meeting.objects.annotate(n=Count("items", filter=Q(items__removed_at__isnull=True))):
        assert meeting.n <= meeting.capacity_in_cases
    active = AgendaItem.objects.filter(removed_at__isnull=True)
    assert active.values("case").distinct().count() == active.count()


def test_the_status_follows_the_agenda_and_the_meetings_advice(synthetic):
    for case in Case.objects.filter(status__in=ON_AGENDA):
        item = AgendaItem.objects.select_related("meeting").get(case=case, removed_at__isnull=True)
        assert case.meeting_ready
        assert (item.meeting.status == MeetingStatus.PLANNED) == (case.status == CaseStatus.SCHEDULED)
        assert MeetingAdvice.objects.filter(item=item).exists() == (case.status != CaseStatus.SCHEDULED)
        # Discussed when the advice was recorded (the quality dashboard's lead times start there).
        assert (item.discussed_at is None) == (case.status == CaseStatus.SCHEDULED)
    assert not AgendaItem.objects.exclude(case__status__in=ON_AGENDA).exists()
    for advice in MeetingAdvice.objects.select_related("item__case"):
        assert not (needs_quorum(advice.decisions) and missing_disciplines(advice.present_disciplines))
        assert advice.item.discussed_at == advice.recorded_at
        # The dashboard's law columns, as a save would have set them (COPY does not save).
        assert advice.includes_radiotherapy == needs_quorum(advice.decisions) and advice.quorum_present
        assert (advice.plan_agreed_on is not None) == (advice.item.case.status == CaseStatus.IMPLEMENTED)


def test_history_and_audit_rows_are_written(synthetic):
    assert Case.history.count() >= Case.objects.count()
    assert Patient.history.count() == Patient.objects.count()
    assert Lesion.history.count() == Lesion.objects.count()
    assert Event.objects.filter(action="case.submitted").count() == Case.objects.exclude(
        status=CaseStatus.DRAFT).count()
    assert AccessLog.objects.filter(case__isnull=False).count() > Case.objects.count()


def test_the_audit_rows_form_an_intact_hash_chain(synthetic):
    out = StringIO()
    call_command("verify_audit", stdout=out)  # raises CommandError (exit status 1) on a broken chain
    assert f"audit.event: {Event.objects.count()} rows, chain intact" in out.getvalue()
    assert f"audit.accesslog: {AccessLog.objects.count()} rows, chain intact" in out.getvalue()


def test_the_synthetic_users_can_work_with_the_data(synthetic, client):
    from accounts.models import User

    referrer = User.objects.filter(username__startswith="synth-verwijzer-").first()
    assert referrer.check_password("synthetisch-wachtwoord-2026")
    verified_login(client, referrer)
    assert client.get("/cases/").status_code == 200
    case = Case.objects.filter(referring_hospital=referrer.hospital).exclude(status=CaseStatus.DRAFT).first()
    assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_it_refuses_a_database_with_real_patients_unless_forced(db):
    PatientFactory()
    with pytest.raises(CommandError, match="real"):
        run()
    assert Case.objects.count() == 0
    run(force=True)
    assert Case.objects.count() == 60
