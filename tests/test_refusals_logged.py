"""A refusal by the role check is in the access log, with the patient (issue 16 item 5).

A referrer's POST to a pre-consultation action or GET of the meeting's advice page is refused by
the permission check before any object helper runs; the 403 handler logs it as `denied`, with the
patient where the route names a case or an agenda item, so the privacy officer's query per patient
finds it."""

import pytest
from django.urls import reverse

from audit.models import AccessLog
from tests.conftest import verified_login
from tests.workflow import scheduled_case, submitted_case

pytestmark = pytest.mark.django_db


def test_a_referrers_post_to_a_pre_consultation_action_is_logged_with_the_patient(client, referrer):
    case = submitted_case(referrer)
    verified_login(client, referrer)
    response = client.post(reverse("casefile:preconsult", args=[case.pk, "accept"]), {})
    assert response.status_code == 403
    row = AccessLog.objects.get(result="denied")
    assert (row.user, row.patient_id, row.case_id, row.action) == (referrer, case.patient_id, case.pk, "change")
    assert row.object_type == "casefile:preconsult"


def test_a_referrers_get_of_the_advice_form_is_logged_with_the_patient(client, referrer, chair):
    item = scheduled_case(referrer, chair)
    verified_login(client, referrer)
    assert client.get(reverse("meetings:item_advice", args=[item.pk])).status_code == 403
    row = AccessLog.objects.get(result="denied")
    assert (row.patient_id, row.action, row.object_id) == (item.case.patient_id, "read", str(item.pk))


def test_a_refused_meeting_route_is_logged_without_a_patient(client, referrer, chair):
    item = scheduled_case(referrer, chair)
    verified_login(client, referrer)
    assert client.post(reverse("meetings:meeting_cancel", args=[item.meeting_id]), {"reason": "x"}).status_code == 403
    row = AccessLog.objects.get(result="denied")
    assert row.patient_id is None and row.object_id == str(item.meeting_id)


def test_a_403_of_a_route_without_an_object_logs_nothing(client, referrer):
    verified_login(client, referrer)
    assert client.get(reverse("meetings:queue")).status_code == 403
    assert not AccessLog.objects.filter(result="denied").exists()
