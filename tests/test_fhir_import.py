"""FHIR import into the intake (issue 13, item 4), with the round trip export -> import."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.actor import Actor
from audit.models import Event
from interop import codes
from interop.export import export_bundle
from interop.fhir import bundle_json
from interop.importing import ImportRefused, PatientDiffers, import_bundle, parse_bundle
from referrals.intake import STEPS_BY_KEY, open_questions
from referrals.models import Case, Patient
from referrals.services import case_save_step
from tests.conftest import speak, verified_login
from tests.factories import HospitalFactory, LesionFactory, UserFactory
from tests.workflow import advised_case, submitted_case

pytestmark = pytest.mark.django_db

URL = reverse("interop:intake_import")


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English (the source strings); the Dutch page has its own test."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _exported(referrer, **answers):
    case = submitted_case(referrer, patient={"family_name": "Pietersen", "given_names": "Anna", "bsn": "111222333"},
                          lesions=[{"region": "cerebellum", "side": "right", "diameter_mm": 22, "critical": True,
                                    "critical_site": "brainstem"},
                                   {"region": "frontal", "side": "left", "diameter_mm": 8}],
                          **answers)
    case.refresh_from_db()
    return case, bundle_json(export_bundle(case, with_bsn=True))




def test_round_trip_prefills_the_same_facts(referrer):
    source, text = _exported(referrer, kps=70, dexamethasone="yes", dexamethasone_mg=4,
                             primary_tumour="melanoma", molecular_markers="BRAF V600E")
    number = source.patient.patient_number
    # Another installation: the case and patient are not there (another hospital row with the same code).
    other_referrer = UserFactory(hospital=HospitalFactory(code=referrer.hospital.code + "b"), role="referrer")
    text = text.replace(codes.patient_number_system(referrer.hospital.code),
                        codes.patient_number_system(other_referrer.hospital.code))
    case = import_bundle(actor=Actor(user=other_referrer), text=text)
    assert case.pk != source.pk and case.status == "draft"
    patient = case.patient
    assert (patient.patient_number, patient.family_name, patient.given_names, patient.bsn,
            patient.date_of_birth, patient.sex) == (number, "Pietersen", "Anna", "111222333",
                                                     source.patient.date_of_birth, source.patient.sex)
    assert (case.primary_tumour, case.molecular_markers, case.kps, case.dexamethasone, case.dexamethasone_mg) == (
        "melanoma", "BRAF V600E", 70, "yes", 4)
    assert case.lesion_mode == "list" and case.mri_date == source.mri_date
    rows = sorted((lesion.region, lesion.side, lesion.diameter_mm, lesion.critical, lesion.critical_site)
                  for lesion in case.lesions.all())
    assert rows == sorted((lesion.region, lesion.side, lesion.diameter_mm, lesion.critical, lesion.critical_site)
                          for lesion in source.lesions.all())
    assert set(case.imported_fields) == {"patient", "oncology", "clinical", "imaging"}
    assert Event.objects.filter(case=case, action="case.imported", user=other_referrer).count() == 1


def test_imported_steps_count_only_after_the_referrer_saved_them(client, referrer):
    _, text = _exported(referrer, kps=60)
    other = UserFactory(hospital=HospitalFactory(), role="referrer")
    case = import_bundle(actor=Actor(user=other), text=text)
    assert "clinical" not in case.completed_steps
    assert STEPS_BY_KEY["clinical"].missing(case)["kps"]
    # The step page shows the badge at the imported fields.
    page = verified_login(client, other).get(reverse("referrals:intake_step", args=[case.pk, "clinical"]))
    content = page.content.decode()
    assert "imported-fields" in content and 'data-imported="true"' in content
    step = STEPS_BY_KEY["clinical"]
    values = step.values(case)
    case = case_save_step(actor=Actor(user=other), case_id=case.pk, step_key="clinical", values=values,
                          expected_version=case.version)
    assert "clinical" not in case.imported_fields
    assert not any(open_step.key == "clinical" and "kps" in missing for open_step, missing in open_questions(case))
    content = client.get(reverse("referrals:intake_step", args=[case.pk, "clinical"])).content.decode()
    assert 'data-imported="true"' not in content


@pytest.mark.parametrize(("text", "says"), [
    ("{not json", "not JSON"),
    (json.dumps({"resourceType": "Patient", "id": "x"}), "not a Bundle"),
    (json.dumps({"hello": 1}), "resourceType"),
    (json.dumps({"resourceType": "Bundle", "type": "no-such-type"}), "Bundle"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}), "empty"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}}]}), "no Patient"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "name": [{"family": "A"}]}}]}), "birth date"),
])
def test_a_malformed_or_foreign_bundle_is_refused_with_what_was_wrong(referrer, text, says):
    with pytest.raises(ImportRefused) as refused:
        import_bundle(actor=Actor(user=referrer), text=text)
    assert says in " ".join(refused.value.messages)
    assert not Case.objects.exists()


def test_a_kps_out_of_range_is_named(referrer):
    _, text = _exported(referrer, kps=80)
    data = json.loads(text)
    for entry in data["entry"]:
        if entry["resource"]["resourceType"] == "Observation" and "valueInteger" in entry["resource"]:
            entry["resource"]["valueInteger"] = 85
    with pytest.raises(ImportRefused) as refused:
        parse_bundle(json.dumps(data))
    assert "85" in refused.value.messages[0]


def test_an_existing_patient_is_not_overwritten_without_confirmation(referrer):
    source, text = _exported(referrer)
    patient = source.patient
    Patient.objects.filter(pk=patient.pk).update(given_names="A.", bsn="")
    before = Case.objects.count()
    with pytest.raises(PatientDiffers) as differs:
        import_bundle(actor=Actor(user=referrer), text=text)
    assert set(differs.value.fields) == {"given_names", "bsn"}
    patient.refresh_from_db()
    assert (patient.given_names, patient.bsn) == ("A.", "") and Case.objects.count() == before
    case = import_bundle(actor=Actor(user=referrer), text=text, confirm_patient=True)
    patient.refresh_from_db()
    assert case.patient_id == patient.pk and (patient.given_names, patient.bsn) == ("Anna", "111222333")


def test_the_page_imports_a_file_and_opens_the_intake(client, referrer):
    _, text = _exported(referrer)
    other = UserFactory(hospital=HospitalFactory(), role="referrer")
    verified_login(client, other)
    assert client.get(URL).status_code == 200
    assert URL in client.get(reverse("referrals:intake_new")).content.decode()
    response = client.post(URL, {"file": SimpleUploadedFile("b.json", text.encode(), "application/fhir+json")})
    case = Case.objects.get(referring_hospital=other.hospital)
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:intake_step", args=[case.pk, "patient"])


def test_the_page_names_the_problem_keeps_the_text_and_stores_nothing(client, referrer):
    speak(verified_login(client, referrer), "en")
    response = client.post(URL, {"bundle": '{"resourceType": "Patient"}'})
    assert response.status_code == 400
    content = response.content.decode()
    assert "not a Bundle" in content and "&quot;resourceType&quot;: &quot;Patient&quot;" in content
    assert not Case.objects.exists()


def test_the_page_asks_before_overwriting_the_patient(client, referrer):
    source, text = _exported(referrer)
    Patient.objects.filter(pk=source.patient_id).update(given_names="A.")
    verified_login(client, referrer)
    response = client.post(URL, {"bundle": text})
    assert response.status_code == 400 and "patient-differs" in response.content.decode()
    assert Case.objects.count() == 1
    response = client.post(URL, {"bundle": text, "confirm_patient": "on"})
    assert response.status_code == 302 and Case.objects.count() == 2


def test_the_dutch_page(client, referrer):
    speak(verified_login(client, referrer), "nl")
    response = client.post(URL, {"bundle": '{"resourceType": "Patient"}'})
    assert "geen Bundle" in response.content.decode()


def test_an_advised_case_round_trips_too(referrer, chair):
    advice = advised_case(referrer, chair)
    case = advice.item.case
    LesionFactory(case=case, region="parietal", side="midline", diameter_mm=5)
    case.refresh_from_db()
    parsed = parse_bundle(bundle_json(export_bundle(case, with_bsn=False)))
    assert parsed.case["kps"] == case.kps and len(parsed.lesions) == 2
