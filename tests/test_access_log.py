"""The NEN 7513 access log: what every row holds, where the client address comes from, and that
nothing in Django or the database can change or remove a row."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from accounts.models import Role
from audit.actor import Actor, client_ip
from audit.models import AccessLog, AppendOnlyError, Event
from audit.services import access_record
from meetings import services as meeting_services
from referrals.models import Case, Patient
from tests.conftest import verified_login
from tests.factories import UserFactory
from tests.intake_helpers import STEP_DATA
from tests.workflow import ADVICE, register_quorum, scheduled_case, submitted_case

pytestmark = pytest.mark.django_db

CLIENT = "203.0.113.7"
UTC = datetime.UTC


def client_from(user, address=CLIENT):
    return verified_login(Client(REMOTE_ADDR=address), user)


def only_new(before, **filters):
    return list(AccessLog.objects.filter(pk__gt=before, **filters).order_by("id"))


def last_id():
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def assert_complete(row, *, user, action, case, result="ok"):
    assert row.at.utcoffset() == datetime.timedelta(0), "stored and read back in UTC"
    assert abs(row.at - datetime.datetime.now(UTC)) < datetime.timedelta(minutes=1)
    assert (row.user, row.username, row.role) == (user, user.username, user.role)
    assert (row.action, row.result) == (action, result)
    assert (row.case_id, row.patient_id) == (case.pk, case.patient_id)
    assert row.object_type and row.object_id
    assert row.client_ip == CLIENT


class TestEveryAccessWritesACompleteRow:
    def test_read_list_search_print_export_and_refusal(self, referrer, outsider, neuro_oncologist, chair):
        item = scheduled_case(referrer, chair)
        case = item.case
        searched = submitted_case(referrer)
        cases = [
            (referrer, reverse("referrals:case_list"), "list", case),
            (referrer, reverse("casefile:case_detail", args=[case.pk]), "read", case),
            (referrer, reverse("casefile:case_timeline", args=[case.pk]), "read", case),
            (neuro_oncologist, reverse("meetings:queue") + f"?q={searched.patient.patient_number}", "search",
             searched),
            (chair, reverse("meetings:meeting_detail", args=[item.meeting_id]), "list", case),
            (chair, reverse("meetings:agenda_print", args=[item.meeting_id]), "print", case),
            (chair, reverse("meetings:agenda_pdf", args=[item.meeting_id]), "export", case),
            (chair, reverse("meetings:item_advice", args=[item.pk]), "read", case),
            (outsider, reverse("casefile:case_detail", args=[case.pk]), "read", case),
        ]
        for user, url, action, shown in cases:
            before = last_id()
            response = client_from(user).get(url)
            rows = only_new(before, case=shown)
            assert len(rows) == 1, (url, rows)
            refused = user == outsider
            assert response.status_code == (404 if refused else 200), url
            assert_complete(rows[0], user=user, action=action, case=shown, result="denied" if refused else "ok")

    def test_create_and_change(self, referrer):
        client = client_from(referrer)
        before = last_id()
        response = client.post(reverse("referrals:intake_new"), {**STEP_DATA["patient"], "next": "1"})
        assert response.status_code == 302
        case = Case.objects.get()
        assert_complete(only_new(before, action="create")[0], user=referrer, action="create", case=case)
        before = last_id()
        client.post(reverse("referrals:intake_step", args=[case.pk, "oncology"]),
                    {**STEP_DATA["oncology"], "version": case.version, "save": "1"})
        changed = only_new(before, action="change")
        assert changed, "saving a step is a change of patient data"
        assert_complete(changed[0], user=referrer, action="change", case=case)
        # One access, one row: the save is the change, not also a read before it.
        assert [row.action for row in only_new(before, case=case)] == ["change"]

    def test_an_intake_post_answered_with_the_page_without_a_store_logs_the_read(self, referrer):
        client = client_from(referrer)
        client.post(reverse("referrals:intake_new"), {**STEP_DATA["patient"], "next": "1"})
        case = Case.objects.get()
        url = reverse("referrals:intake_step", args=[case.pk, "oncology"])
        client.post(url, {**STEP_DATA["oncology"], "version": case.version, "save": "1"})
        before = last_id()
        # Sent from the page as it was before that save: a stale edit, shown again, nothing stored.
        response = client.post(url, {**STEP_DATA["oncology"], "version": case.version, "save": "1"})
        assert response.status_code == 200 and case.patient.family_name in response.content.decode()
        rows = only_new(before, case=case)
        assert [row.action for row in rows] == ["read"]
        assert_complete(rows[0], user=referrer, action="read", case=case)
        # The review step answers a POST with its page: a read as well.
        before = last_id()
        response = client.post(reverse("referrals:intake_step", args=[case.pk, "review"]), {})
        assert response.status_code == 200
        assert [row.action for row in only_new(before, case=case)] == ["read"]

    def test_a_refused_action_that_shows_the_case_page_again_logs_the_read(self, neuro_oncologist, referrer):
        case = submitted_case(referrer)
        before = last_id()
        response = client_from(neuro_oncologist).post(
            reverse("casefile:preconsult", args=[case.pk, "override"]), {"outcome": "", "reason": ""})
        assert response.status_code == 400 and case.patient.family_name in response.content.decode()
        rows = only_new(before, case=case)
        assert [row.action for row in rows] == ["read"]
        assert_complete(rows[0], user=neuro_oncologist, action="read", case=case)

    def test_a_refused_plan_date_that_shows_the_case_page_again_logs_the_read(self, referrer, chair):
        item = scheduled_case(referrer, chair)  # a meeting of today
        register_quorum(item.meeting, chair)
        meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
        case = item.case
        before = last_id()
        yesterday = (item.meeting.date - datetime.timedelta(days=1)).isoformat()
        response = client_from(referrer).post(reverse("followup:implementation", args=[case.pk]),
                                              {"srt-status": "done", "srt-done_on": yesterday})
        assert response.status_code == 400 and case.patient.family_name in response.content.decode()
        rows = only_new(before, case=case)
        assert [row.action for row in rows] == ["read"]
        assert_complete(rows[0], user=referrer, action="read", case=case)

    def test_the_privacy_officers_look_is_logged_with_the_patient(self, referrer, centre):
        case = submitted_case(referrer)
        officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
        today = datetime.date.today().isoformat()
        before = last_id()
        client_from(officer).get(reverse("audit:access_log"), {
            "hospital": referrer.hospital.pk, "patient_number": case.patient.patient_number,
            "date_from": today, "date_to": today})
        [row] = only_new(before)
        assert (row.user, row.role, row.patient_id, row.action, row.object_type, row.client_ip) == (
            officer, Role.PRIVACY_OFFICER, case.patient_id, "read", "access_log", CLIENT)

    def test_no_bsn_and_no_clinical_content_in_the_log_through_a_whole_workflow(self, referrer, chair,
                                                                              neuro_oncologist):
        item = scheduled_case(referrer, chair, patient={"bsn": "111222333"}, question_to_mdo="Indicatie SRT bij EGFR?")
        patient = item.case.patient
        client_from(referrer).get(reverse("casefile:case_detail", args=[item.case.pk]))
        client_from(neuro_oncologist).get(reverse("meetings:queue"), {"q": patient.patient_number})
        client_from(chair).get(reverse("meetings:agenda_pdf", args=[item.meeting_id]))
        logged = repr(list(AccessLog.objects.values_list())) + repr(list(Event.objects.values_list()))
        for secret in ("111222333", patient.family_name, "EGFR", "1960-05-17"):
            assert secret not in logged, secret



class TestRefusedMeetingsAndAgendaItemsAreLogged:
    """An outsider asking for an existing meeting or agenda item gets 404, and a DENIED row:
    the meeting by its id (it holds several patients), the agenda item with its case and patient."""

    @pytest.fixture
    def item(self, referrer, chair):
        return scheduled_case(referrer, chair)

    @pytest.fixture
    def far_chair(self):
        from tests.factories import CentreFactory

        return UserFactory(hospital=CentreFactory(), role=Role.CHAIR)

    def assert_refused(self, row, *, user, object_type, object_id, case=None):
        assert row.at.utcoffset() == datetime.timedelta(0)
        assert (row.user, row.username, row.role, row.client_ip) == (user, user.username, user.role, CLIENT)
        assert (row.action, row.result, row.object_type, row.object_id) == ("read", "denied", object_type,
                                                                            str(object_id))
        assert (row.case_id, row.patient_id) == ((case.pk, case.patient_id) if case else (None, None))

    @pytest.mark.parametrize("name", ["meetings:meeting_detail", "meetings:agenda_print", "meetings:agenda_pdf",
                                      "meetings:minutes_print", "meetings:minutes_pdf"])
    def test_a_meeting_of_another_region(self, item, far_chair, name):
        before = last_id()
        response = client_from(far_chair).get(reverse(name, args=[item.meeting_id]))
        assert response.status_code == 404
        [row] = only_new(before)
        self.assert_refused(row, user=far_chair, object_type="meeting", object_id=item.meeting_id)

    def test_a_meeting_for_a_referrer_and_an_administrator(self, item, referrer, admin_user):
        for user, name in [(referrer, "meetings:meeting_detail"), (admin_user, "meetings:agenda_print")]:
            before = last_id()
            assert client_from(user).get(reverse(name, args=[item.meeting_id])).status_code == 404
            [row] = only_new(before)
            self.assert_refused(row, user=user, object_type="meeting", object_id=item.meeting_id)

    @pytest.mark.parametrize("method,name", [("get", "meetings:item_advice"), ("post", "meetings:item_presence"),
                                             ("post", "meetings:item_remove"), ("post", "meetings:item_move")])
    def test_an_agenda_item_of_another_region_names_its_case_and_patient(self, item, far_chair, method, name):
        before = last_id()
        response = getattr(client_from(far_chair), method)(reverse(name, args=[item.pk]), {"present": "yes"})
        assert response.status_code == 404
        [row] = only_new(before)
        self.assert_refused(row, user=far_chair, object_type="agenda_item", object_id=item.pk, case=item.case)
        item.refresh_from_db()
        assert item.removed_at is None and item.treating_physician_present == ""

    def test_an_unknown_meeting_or_item_is_not_a_refusal(self, item, chair, far_chair):
        import uuid

        before = last_id()
        client = client_from(far_chair)
        assert client.get(reverse("meetings:meeting_detail", args=[uuid.uuid4()])).status_code == 404
        assert client.get(reverse("meetings:item_advice", args=[uuid.uuid4()])).status_code == 404
        assert only_new(before) == []

    def test_an_item_taken_off_the_agenda_is_gone_for_its_own_meeting_not_refused(self, item, chair, far_chair):
        from meetings import services as meeting_services

        meeting_services.agenda_remove(actor=Actor(user=chair), item_id=item.pk, reason="Dubbel aangemeld")
        before = last_id()
        assert client_from(chair).get(reverse("meetings:item_advice", args=[item.pk])).status_code == 404
        assert only_new(before) == []
        # For another region it is still a refusal.
        assert client_from(far_chair).get(reverse("meetings:item_advice", args=[item.pk])).status_code == 404
        [row] = only_new(before)
        self.assert_refused(row, user=far_chair, object_type="agenda_item", object_id=item.pk, case=item.case)

class TestClientAddress:
    def request(self, remote, forwarded=None):
        extra = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return RequestFactory().get("/", **extra)

    def test_without_a_trusted_proxy_the_header_is_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        assert client_ip(self.request("198.51.100.4", "10.9.9.9")) == "198.51.100.4"

    def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_client_sent(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(self.request("127.0.0.1", "10.9.9.9, 203.0.113.7")) == CLIENT
        assert client_ip(self.request("127.0.0.1", CLIENT)) == CLIENT

    def test_behind_two_proxies(self, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        assert client_ip(self.request("127.0.0.1", "10.9.9.9, 203.0.113.7, 192.0.2.1")) == CLIENT

    def test_a_missing_or_bad_header_never_fails(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(self.request("127.0.0.1")) == "127.0.0.1"
        assert client_ip(self.request("127.0.0.1", "not-an-address")) is None
        assert client_ip(self.request("")) is None

    def test_the_setting_comes_from_the_environment_and_is_off_by_default(self):
        import mdo.settings as production_settings

        assert production_settings.TRUSTED_PROXY_COUNT == 0

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_it_reaches_the_access_log(self, referrer):
        case = submitted_case(referrer)
        client = verified_login(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.9.9, {CLIENT}"),
                                referrer)
        client.get(reverse("casefile:case_detail", args=[case.pk]))
        assert AccessLog.objects.filter(case=case, action="read").get().client_ip == CLIENT


class TestNothingChangesOrRemovesARow:
    @pytest.fixture
    def entry(self, referrer):
        case = submitted_case(referrer)
        return access_record(actor=Actor(user=referrer, ip=CLIENT), action="read", object_type="case", case=case)

    @pytest.mark.parametrize("model", [AccessLog, Event])
    def test_django_internal_paths_are_refused_too(self, entry, model):
        row = model.objects.first()
        for manager in (model.objects, model._base_manager, model._default_manager):
            with pytest.raises(AppendOnlyError):
                manager.filter(pk=row.pk).update(object_id="x")
            with pytest.raises(AppendOnlyError):
                manager.filter(pk=row.pk).delete()
            with pytest.raises(AppendOnlyError):
                manager.filter(pk=row.pk)._raw_delete(manager.db)
            with pytest.raises(AppendOnlyError):
                manager.bulk_update([row], ["object_id"])
        with pytest.raises(AppendOnlyError):
            model.objects.update_or_create(pk=row.pk, defaults={"object_id": "x"})
        with pytest.raises(AppendOnlyError):
            model.objects.bulk_create([row], update_conflicts=True, unique_fields=["id"],
                                      update_fields=["object_id"])
        row.refresh_from_db()
        assert row.object_id != "x"

    def test_the_case_timeline_manager_cannot_delete(self, entry):
        with pytest.raises(AppendOnlyError):
            entry.case.events.all().delete()

    def test_deleting_a_user_patient_or_case_is_refused_and_keeps_the_rows(self, entry, referrer):
        count = AccessLog.objects.count()
        for obj in (referrer, entry.case, entry.case.patient):
            with pytest.raises(ProtectedError), transaction.atomic():
                obj.delete()
        for queryset in (type(referrer).objects.filter(pk=referrer.pk), Case.objects.filter(pk=entry.case_id),
                         Patient.objects.filter(pk=entry.patient_id)):
            with pytest.raises(ProtectedError), transaction.atomic():
                queryset.delete()
        entry.refresh_from_db()
        assert AccessLog.objects.count() == count
        assert (entry.user_id, entry.case_id, entry.patient_id) == (referrer.pk, entry.case.pk, entry.case.patient_id)

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
    @pytest.mark.parametrize("table", ["audit_accesslog", "audit_event"])
    def test_postgresql_refuses_truncate(self, entry, table):
        with pytest.raises(DatabaseError, match="TRUNCATE refused"):
            with transaction.atomic(), connection.cursor() as cursor:
                # As a production connection: without the test run's permission to empty tables.
                cursor.execute("SET LOCAL mdo.audit_truncate = ''")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows, checked now
                cursor.execute(f"TRUNCATE {table} CASCADE")
        assert AccessLog.objects.filter(pk=entry.pk).exists()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
    def test_postgresql_refuses_truncate_of_the_tables_that_point_at_it(self, entry):
        # TRUNCATE ... CASCADE of the patients' table would empty the log with it.
        with pytest.raises(DatabaseError, match="TRUNCATE refused"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL mdo.audit_truncate = ''")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows, checked now
                cursor.execute("TRUNCATE referrals_patient CASCADE")
        assert AccessLog.objects.filter(pk=entry.pk).exists()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
    def test_postgresql_refuses_nulling_the_user_of_a_row(self, entry):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE audit_accesslog SET user_id = NULL WHERE id = %s", [entry.pk])
