"""FHIR import into the intake (issue 13, item 4), with the round trip export -> import."""

import dataclasses
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
from referrals.intake import STEPS, STEPS_BY_KEY, open_questions
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
    assert set(case.imported_fields) == {"patient", "oncology", "history", "extracranial", "clinical", "imaging",
                                         "questions"}
    assert Event.objects.filter(case=case, action="case.imported", user=other_referrer).count() == 1


def _on_another_installation(text, referrer):
    """`text` imported by a referrer of another hospital (another installation: the case and the
    patient are not there); returns the new draft."""
    other_referrer = UserFactory(hospital=HospitalFactory(code=referrer.hospital.code + "x"), role="referrer")
    text = text.replace(codes.patient_number_system(referrer.hospital.code),
                        codes.patient_number_system(other_referrer.hospital.code))
    return import_bundle(actor=Actor(user=other_referrer), text=text)


def _lesion_rows(case):
    return sorted((lesion.region, lesion.side, lesion.diameter_mm, lesion.critical, lesion.critical_site)
                  for lesion in case.lesions.all())


@pytest.mark.parametrize("answers", [
    # A symptomatic patient on dexamethasone, with a list of lesions, one at a critical site.
    {"kps": 60, "dexamethasone": "yes", "dexamethasone_mg": 8, "neuro_deficit": "yes", "epilepsy": "no",
     "rapid_kps_improvement": "yes", "qol_improvement": "unknown", "systemic_option": "yes",
     "cerebral_response": "high", "systemic_line": "switch", "neuro_deficit_detail": "Hemiparese links",
     "prognosis_months": 9, "treatment_wish": "yes", "recurrence": "no",
     "radiotherapy_considered": "yes", "suspected_radionecrosis": "no", "urgent": True,
     "urgent_reason": "Toenemende uitval", "question_to_mdo": "SRT of resectie?"},
    # Many lesions (no rows), the prognosis only as "over 3 months", no dexamethasone, KPS unknown.
    {"kps": None, "kps_unknown": True, "dexamethasone": "no", "neuro_deficit": "no", "epilepsy": "no",
     "lesion_mode": "many", "largest_diameter_mm": 31, "critical_location": "yes",
     "critical_location_site": "brainstem", "prognosis_months": None, "prognosis_over_3_months": "yes",
     "systemic_option": "no", "cerebral_response": "", "extracranial_status": "progressive"},
])
def test_the_round_trip_gives_the_same_facts_field_by_field(referrer, answers):
    """issue 13's Done-when: the exported Bundle imported on another installation pre-fills the
    intake with the same facts: the triage engine's facts equal, every answer of every step equal,
    the lesions equal."""
    from triage.facts import facts_from_case, open_meeting_items

    lesions = [] if answers.get("lesion_mode") == "many" else None
    extra = {"lesions": lesions} if lesions is not None else {}
    source = submitted_case(referrer, **extra, **answers)
    source.refresh_from_db()
    case = _on_another_installation(bundle_json(export_bundle(source, with_bsn=False)), referrer)
    case.refresh_from_db()
    assert case.pk != source.pk
    facts = dataclasses.asdict(facts_from_case(source))
    assert sum(value is not None for value in facts.values()) >= 10  # the facts are there, not all empty
    assert dataclasses.asdict(facts_from_case(case)) == facts
    for step in STEPS:
        if step.stores_answers:
            for name, value in step.values(source).items():
                assert getattr(case, name) == value, f"{step.key}.{name}"
    assert _lesion_rows(case) == _lesion_rows(source)
    assert open_meeting_items(case, list(case.lesions.all())) == open_meeting_items(source, list(source.lesions.all()))
    # Each imported answer waits for the referrer's check before it counts.
    assert all(STEPS_BY_KEY[key].missing(case) for key in case.imported_fields)


def test_an_answer_that_is_not_one_of_ours_is_named(referrer):
    _, text = _exported(referrer, extracranial_status="stable")
    data = json.loads(text)
    for entry in data["entry"]:
        for coding in entry["resource"].get("valueCodeableConcept", {}).get("coding", []):
            if coding["system"] == codes.intake_answer_system("extracranial_status"):
                coding["code"] = "bijna-stabiel"
    with pytest.raises(ImportRefused) as refused:
        parse_bundle(json.dumps(data))
    assert refused.value.messages == ["The answer to “extracranial disease” is missing or not one of its answers."]
    from django.utils import translation

    with translation.override("nl"), pytest.raises(ImportRefused) as refused:
        parse_bundle(json.dumps(data))
    assert refused.value.messages[0].startswith("Het antwoord op “")


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
    # The access log: the import is a change of this patient's record, by this referrer.
    from audit.models import AccessLog
    row = AccessLog.objects.get(object_type="case.imported")
    assert (row.user, row.case_id, row.patient_id, row.result) == (other, case.pk, case.patient_id, "ok")


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
