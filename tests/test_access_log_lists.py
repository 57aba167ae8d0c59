"""List pages log one access row per case shown (NEN 7513 asks per patient).

The rows are written in one statement (COPY on PostgreSQL, a bulk insert elsewhere); these tests
run on both and read the rows back, so both paths are proven to write complete records.
"""

import pytest
from django.urls import reverse

from audit.actor import Actor
from audit.models import AccessLog
from audit.services import access_record_many
from tests.conftest import verified_login
from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db


def referred_case(referrer):
    return CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)


def test_the_case_list_logs_every_case_it_shows(client, referrer):
    cases = [referred_case(referrer) for _ in range(3)]
    verified_login(client, referrer)

    response = client.get(reverse("referrals:case_list"), REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    rows = AccessLog.objects.filter(object_type="case_list")
    assert {row.case_id for row in rows} == {case.pk for case in cases}
    for row in rows:
        case = next(c for c in cases if c.pk == row.case_id)
        assert row.patient_id == case.patient_id
        assert row.object_id == str(case.pk)
        assert (row.user, row.username, row.role) == (referrer, "verwijzer", "referrer")
        assert (row.action, row.result, row.client_ip) == ("list", "ok", "10.1.2.3")
        assert row.at is not None


def test_an_empty_list_writes_nothing(referrer):
    access_record_many(actor=Actor(user=referrer, ip=None), action="list", object_type="case_list",
                       cases=[])

    assert not AccessLog.objects.exists()


def test_rows_of_one_page_share_the_moment_and_keep_who_acted_on_whose_behalf(referrer):
    cases = [referred_case(referrer) for _ in range(2)]

    access_record_many(actor=Actor(user=referrer, ip="2001:db8::1", on_behalf_of="dr. Jansen"),
                       action="search", object_type="preconsult_queue", cases=cases)

    rows = list(AccessLog.objects.all())
    assert len(rows) == 2
    assert len({row.at for row in rows}) == 1
    assert {row.on_behalf_of for row in rows} == {"dr. Jansen"}
    assert {row.client_ip for row in rows} == {"2001:db8::1"}
    assert {row.action for row in rows} == {"search"}
