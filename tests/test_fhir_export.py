"""FHIR R4 export of a case (issue 13, item 3): every Bundle validates with fhir.resources R4B."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from audit.models import AccessLog
from interop import codes
from interop.export import export_bundle
from interop.fhir import bundle_json
from tests.conftest import verified_login
from tests.workflow import advised_case, submitted_case

pytestmark = pytest.mark.django_db

BSN = "111222333"


def _resources(bundle_text):
    bundle = Bundle.model_validate_json(bundle_text)  # raises if it is no valid R4 Bundle
    assert bundle.type == "collection"
    out = {}
    for entry in bundle.entry:
        assert entry.fullUrl.startswith("urn:uuid:")
        out.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return out


def _advised(referrer, chair):
    advice = advised_case(referrer, chair)
    case = advice.item.case
    case.refresh_from_db()
    return case, advice


def test_bundle_of_an_advised_case_has_the_key_codes(referrer, chair):
    case, advice = _advised(referrer, chair)
    text = bundle_json(export_bundle(case, with_bsn=False))
    resources = _resources(text)
    patient = resources["Patient"][0]
    assert patient.meta.profile == [codes.NL_CORE_PATIENT]
    assert [(i.system, i.value) for i in patient.identifier] == [
        (codes.patient_number_system(case.patient.hospital.code), case.patient.patient_number)]
    conditions = resources["Condition"]
    assert any(c.code.coding[0].system == codes.SNOMED and c.code.coding[0].code == "94225005" for c in conditions)
    assert any(c.code.coding[0].system == codes.code_system("primary-tumour") and c.code.coding[0].code == "nsclc"
               for c in conditions)
    kps = [o for o in resources["Observation"] if o.code.coding[0].system == codes.LOINC]
    assert kps[0].code.coding[0].code == "89243-0" and kps[0].valueInteger == 80
    assert "dexamethasone" in kps[0].note[0].text
    assert resources["MedicationStatement"][0].status == "not-taken"
    lesions = [o for o in resources["Observation"] if o.code.coding[0].code == "lesion"]
    assert len(lesions) == 1
    assert lesions[0].valueQuantity.system == codes.UCUM and lesions[0].valueQuantity.code == "mm"
    assert float(lesions[0].valueQuantity.value) == 14
    assert lesions[0].bodySite.coding[0].code == "frontal"
    assert lesions[0].component[0].valueCodeableConcept.coding[0].code == "left"
    triage = [o for o in resources["Observation"] if o.code.coding[0].code == "triage-advice"][0]
    assert triage.valueCodeableConcept.coding[0].system == codes.code_system("triage-outcome")
    assert triage.valueCodeableConcept.coding[0].code == case.current_advice.outcome
    # The intake's other answers: one Observation each, in our code systems.
    answers = {o.code.coding[0].code: o for o in resources["Observation"]
               if o.code.coding[0].system == codes.code_system(codes.INTAKE_ITEM)}
    assert "kps" not in answers and "dexamethasone" not in answers  # those have their own resource
    status = answers["extracranial_status"].valueCodeableConcept.coding[0]
    assert (status.system, status.code) == (codes.intake_answer_system("extracranial_status"),
                                            case.extracranial_status)
    assert answers["question_to_mdo"].valueString == case.question_to_mdo
    plan = resources["CarePlan"][0]
    assert [a.detail.code.coding[0].code for a in plan.activity] == ["srt"]
    assert plan.activity[0].detail.status == "not-started"
    assert plan.description == advice.text
    team = resources["CareTeam"][0]
    assert {p.role[0].coding[0].code for p in team.participant} >= {"neurosurgery", "radiation_oncology"}
    assert plan.careTeam[0].reference == next(
        e.fullUrl for e in Bundle.model_validate_json(text).entry if e.resource.get_resource_type() == "CareTeam")


def test_the_care_plan_carries_what_was_done_with_each_decision(referrer, chair):
    from django.utils import timezone

    from audit.actor import Actor
    from followup import services as followup_services

    case, advice = _advised(referrer, chair)
    followup_services.implementation_record(actor=Actor(user=referrer), case_id=case.pk, rows={
        "srt": {"status": "not_done", "reason": "other", "reason_text": "Patiënt koos voor een trial",
                "done_on": timezone.localdate()}})
    plan = _resources(bundle_json(export_bundle(case, with_bsn=False)))["CarePlan"][0]
    assert plan.activity[0].detail.status == "cancelled"
    assert "Patiënt koos voor een trial" in plan.activity[0].detail.statusReason.text


def test_bsn_only_with_the_flag(referrer):
    case = submitted_case(referrer, patient={"bsn": BSN})
    without = bundle_json(export_bundle(case, with_bsn=False))
    assert BSN not in without
    with_bsn = _resources(bundle_json(export_bundle(case, with_bsn=True)))
    assert (codes.BSN_SYSTEM, BSN) in [(i.system, i.value) for i in with_bsn["Patient"][0].identifier]


def test_a_draft_without_answers_still_validates(referrer):
    from tests.factories import CaseFactory, PatientFactory

    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital, sex="other"), referring_physician=referrer,
                       primary_tumour="", kps=None, kps_unknown=True, dexamethasone="", lesion_mode="many")
    resources = _resources(bundle_json(export_bundle(case, with_bsn=False)))
    assert resources["Patient"][0].gender == "unknown"
    kps = resources["Observation"][0]
    assert kps.valueInteger is None and kps.dataAbsentReason.coding[0].code == "unknown"
    assert "MedicationStatement" not in resources and "CarePlan" not in resources


def test_download_from_the_case_page(client, referrer, chair, neuro_oncologist):
    case, _ = _advised(referrer, chair)
    case.patient.bsn = BSN
    case.patient.save()
    page = verified_login(client, referrer).get(reverse("casefile:case_detail", args=[case.pk]))
    url = reverse("interop:case_fhir", args=[case.pk])
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference.lower()}-fhir.json"'
    # The referrer of the patient's hospital sees the full BSN in the patient form: the export has it.
    assert BSN in response.content.decode()
    _resources(response.content)
    assert AccessLog.objects.filter(case=case, action="export", object_type="case_fhir",
                                    user=referrer).exists()
    # The MDO centre sees the BSN masked only: its export leaves it out.
    response = verified_login(client, neuro_oncologist).get(url)
    assert response.status_code == 200 and BSN not in response.content.decode()


def test_outsider_gets_404_and_the_refusal_is_logged(client, referrer, outsider):
    case = submitted_case(referrer)
    response = verified_login(client, outsider).get(reverse("interop:case_fhir", args=[case.pk]))
    assert response.status_code == 404
    assert AccessLog.objects.filter(case=case, action="export", result="denied", user=outsider).exists()


def test_download_query_count(client, referrer, chair, django_assert_max_num_queries):
    case, _ = _advised(referrer, chair)
    verified_login(client, referrer)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("interop:case_fhir", args=[case.pk])).status_code == 200


def test_command_prints_a_valid_bundle(referrer, chair):
    case, _ = _advised(referrer, chair)
    case.patient.bsn = BSN
    case.patient.save()
    out = StringIO()
    call_command("export_fhir", str(case.pk), stdout=out)
    assert BSN not in out.getvalue()
    assert json.loads(out.getvalue())["resourceType"] == "Bundle"
    _resources(out.getvalue())
    out = StringIO()
    call_command("export_fhir", str(case.pk), "--with-bsn", stdout=out)
    assert BSN in out.getvalue()
    assert AccessLog.objects.filter(case=case, action="export", object_type="case_fhir_cli").count() == 2


@pytest.mark.parametrize("case_id", ["2f4b1c8e-0d3a-4e5f-9a7b-6c8d9e0f1a2b", "not-a-uuid"])
def test_command_exit_2_for_an_unknown_id(case_id):
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("export_fhir", case_id, stderr=err)
    assert exit_info.value.code == 2
    assert err.getvalue().strip()
