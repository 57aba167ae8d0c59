"""The triage engine inside the application: facts from a case, stored and versioned advice,
thresholds in the admin, the explanation on the case page and `manage.py triage`."""

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.actor import Actor
from meetings.services import case_request_info
from referrals.services import case_submit
from tests.conftest import verified_login
from tests.factories import CaseFactory, LesionFactory, PatientFactory
from triage.engine import DEFAULT_THRESHOLDS, rule_set_version
from triage.facts import facts_from_case
from triage.models import Advice, ThresholdSet
from triage.services import advice_preview, current_threshold_set, result_from_advice, thresholds_update

pytestmark = pytest.mark.django_db


def submit(case, user):
    case.refresh_from_db()
    return case_submit(actor=Actor(user=user), case_id=case.pk, expected_version=case.version)


class TestFactsFromCase:
    @pytest.mark.parametrize("deficit,epilepsy,expected", [
        ("no", "no", False), ("yes", "no", True), ("no", "yes", True), ("unknown", "no", None),
        ("unknown", "yes", True), ("", "no", None),
    ])
    def test_symptomatic_is_deficit_or_epilepsy(self, deficit, epilepsy, expected):
        case = CaseFactory(neuro_deficit=deficit, epilepsy=epilepsy)
        assert facts_from_case(case).symptomatic is expected

    @pytest.mark.parametrize("option,response,expected", [
        ("no", "", "no"), ("yes", "high", "yes"), ("yes", "low", "no"),
        ("yes", "unknown", "unknown"), ("unknown", "", None), ("", "", None),
    ])
    def test_the_systemic_option_and_its_response_chance(self, option, response, expected):
        case = CaseFactory(systemic_option=option, cerebral_response=response)
        assert facts_from_case(case).systemic_option_high_cerebral_response == expected

    def test_lesions_give_the_largest_diameter_count_and_critical_location(self):
        case = CaseFactory(with_lesion=False)
        LesionFactory(case=case, diameter_mm=8)
        LesionFactory(case=case, diameter_mm=23, critical=True, critical_site="brainstem")
        facts = facts_from_case(case)
        assert (facts.max_lesion_diameter_mm, facts.lesion_count, facts.critical_location,
                facts.critical_location_site) == (23.0, 2, True, "brainstem")

    def test_many_lesions_leave_the_count_open(self):
        case = CaseFactory(with_lesion=False, lesion_mode="many", critical_location="no",
                           largest_diameter_mm=None)
        facts = facts_from_case(case)
        assert facts.lesion_count is None and facts.max_lesion_diameter_mm is None
        assert facts.critical_location is False

    def test_unknown_kps_and_prognosis_are_missing(self):
        case = CaseFactory(kps=None, kps_unknown=True, prognosis_months=None, prognosis_unknown=True)
        facts = facts_from_case(case)
        assert facts.kps is None and facts.expected_prognosis_months is None

    def test_the_dose_counts_only_with_dexamethasone(self):
        case = CaseFactory(dexamethasone="yes", dexamethasone_mg=8)
        assert facts_from_case(case).dexamethasone_mg_per_day == 8.0


class TestStoredAdvice:
    def test_submission_stores_version_thresholds_facts_and_trace(self, referrer):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        submit(case, referrer)
        advice = Advice.objects.get(case=case)
        assert advice.rule_set_version == rule_set_version(DEFAULT_THRESHOLDS)
        assert advice.thresholds["kps_min"] == 70
        assert advice.facts["max_lesion_diameter_mm"] == 14.0
        assert advice.trace[0]["node"] == "P_TREATMENT_WISH"
        assert advice.outcome == "NEURO_ONC_MDO"
        # The result can be rebuilt exactly as it was stored.
        result = result_from_advice(advice)
        assert result.outcome == advice.outcome and len(result.trace) == len(advice.trace)

    def test_a_threshold_change_makes_a_new_version_and_keeps_old_advice(self, referrer, admin_user):
        first = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                            kps=70)
        submit(first, referrer)
        old = Advice.objects.get(case=first)
        thresholds_update(actor=Actor(user=admin_user), values={"kps_min": 80, "change_reason": "test"})
        second = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                             kps=70)
        submit(second, referrer)
        new = Advice.objects.get(case=second)
        assert new.rule_set_version != old.rule_set_version
        assert "kps>=80" in new.rule_set_version
        assert new.outcome == "NEURO_ONC_MDO_LEGAL"  # KPS 70 < 80: restrained, but RT considered
        old.refresh_from_db()
        assert old.outcome == "NEURO_ONC_MDO" and old.thresholds["kps_min"] == 70
        assert current_threshold_set().history.count() == 2

    def test_the_admin_changes_thresholds_with_history(self, client, admin_user):
        verified_login(client, admin_user)
        current_threshold_set()
        url = reverse("admin:triage_thresholdset_change", args=[1])
        assert client.get(url).status_code == 200
        response = client.post(url, {"kps_min": 60, "prognosis_months": "3", "diameter_mm": 10,
                                     "diameter_band_upper_mm": 20, "change_reason": "regionaal besluit"})
        assert response.status_code == 302, response.content.decode()[:2000]
        threshold_set = ThresholdSet.objects.get()
        assert threshold_set.kps_min == 60 and threshold_set.updated_by == admin_user
        assert threshold_set.history.first().history_user == admin_user

    @pytest.mark.parametrize("field,value", [
        ("kps_min", 75), ("kps_min", 0), ("kps_min", 110), ("diameter_band_upper_mm", 5),
        ("prognosis_months", "-1"), ("prognosis_months", "61"), ("prognosis_months", "2.55"),
        ("prognosis_months", "NaN"), ("diameter_mm", 0), ("diameter_mm", 101), ("kps_min", "abc"),
    ])
    def test_the_admin_refuses_invalid_thresholds(self, client, admin_user, field, value):
        verified_login(client, admin_user)
        current_threshold_set()
        data = {"kps_min": 70, "prognosis_months": "3", "diameter_mm": 10, "diameter_band_upper_mm": 20,
                "change_reason": "test", field: value}
        response = client.post(reverse("admin:triage_thresholdset_change", args=[1]), data)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        # The band below the diameter breaks a rule of the set as a whole (a check constraint).
        assert set(errors) == ({"__all__"} if field == "diameter_band_upper_mm" else {field}), errors
        threshold_set = ThresholdSet.objects.get()
        assert (threshold_set.kps_min, threshold_set.diameter_mm, threshold_set.diameter_band_upper_mm) == (70, 10, 20)
        assert threshold_set.history.count() == 1

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_the_admin_needs_a_reason_for_a_change(self, client, admin_user, reason):
        verified_login(client, admin_user)
        thresholds_update(actor=Actor(user=admin_user), values={"change_reason": "eerste instelling"})
        url = reverse("admin:triage_thresholdset_change", args=[1])
        page = client.get(url).content.decode()
        assert "eerste instelling" not in page  # the last reason is not offered again
        response = client.post(url, {"kps_min": 60, "prognosis_months": "3", "diameter_mm": 10,
                                     "diameter_band_upper_mm": 20, "change_reason": reason})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["change_reason"]
        assert ThresholdSet.objects.get().kps_min == 70

    def test_referrers_cannot_reach_the_thresholds(self, referrer_client):
        current_threshold_set()
        response = referrer_client.get(reverse("admin:triage_thresholdset_change", args=[1]))
        assert response.status_code == 302  # to the admin login, which refuses non-staff


class TestExplanation:
    def page(self, client, user, **answers):
        case = CaseFactory(patient=PatientFactory(hospital=user.hospital), referring_physician=user, **answers)
        submit(case, user)
        verified_login(client, user)
        return client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()

    def test_the_path_quotes_the_footnote_from_the_guideline(self, client, referrer):
        content = self.page(client, referrer)
        assert "Hoe de leidraad tot dit advies leidt" in content
        assert "Kritieke locatie?" in content or "kritieke locatie" in content.lower()
        assert "Diameter van de HM" in content  # footnote 3 quoted
        assert 'data-node="A3"' in content

    def test_missing_facts_say_why_they_matter_and_that_this_is_policy(self, client, referrer):
        content = self.page(client, referrer, kps=None, kps_unknown=True)
        assert "Ontbrekende gegevens" in content
        assert "beleid van de applicatie, geen tekst uit de leidraad" in content

    def test_our_reading_of_a_lost_symbol_is_marked_as_ours(self, client, referrer):
        content = self.page(client, referrer, kps=60, radiotherapy_considered="no")
        assert 'data-outcome="RESTRAINED_POLICY_NO_MDO"' in content
        assert "weer [≥ 70] wordt" in content  # the Nb of the restrained-policy box
        assert "Tussen [ ]: onze lezing van een teken dat verloren ging" in content
        plain = self.page(client, referrer)  # footnote 3 is quoted without any reading of ours
        assert "Diameter van de HM" in plain and "Tussen [ ]" not in plain

    def test_the_diagram_marks_path_and_endpoint(self, client, referrer):
        content = self.page(client, referrer)
        assert "<svg" in content and "on-path" in content and "endpoint" in content

    def test_the_advice_is_shown_in_english_for_english_users(self, client, referrer):
        verified_login(client, referrer)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        submit(case, referrer)
        content = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "How the guideline leads to this advice" in content
        assert "Critical location?" in content or "critical location" in content.lower()


class TestCommand:
    def run(self, monkeypatch, text, *args):
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("triage", "-", *args, stdout=out, stderr=err)
            status = 0
        except SystemExit as exc:
            status = exc.code
        return status, out.getvalue(), err.getvalue()

    FACTS = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 80,
             "expected_prognosis_months": 12, "critical_location": False, "max_lesion_diameter_mm": 8,
             "systemic_option_high_cerebral_response": "yes", "radiotherapy_considered": False}

    def test_json_output_follows_the_spec(self, monkeypatch):
        status, out, _ = self.run(monkeypatch, json.dumps(self.FACTS), "--json")
        assert status == 0
        result = json.loads(out)
        assert set(result) == {"outcome", "forum", "chart", "trace", "missing", "rule_set_version"}
        assert result["outcome"] == "ORGAN_SPECIFIC_MDO" and result["chart"] == "A"
        nodes = [s["node"] for s in result["trace"]]
        assert nodes[-2:] == ["A4", "L1_RADIOTHERAPY_LEGAL"] and result["trace"][-1]["answer"] == "no"

    def test_an_array_gives_an_array(self, monkeypatch):
        status, out, _ = self.run(monkeypatch, json.dumps([self.FACTS, {**self.FACTS, "treatment_wish": False}]),
                                  "--json")
        assert [r["outcome"] for r in json.loads(out)] == ["ORGAN_SPECIFIC_MDO", "NO_MDO_NO_TREATMENT_WISH"]

    def test_it_uses_the_stored_thresholds(self, monkeypatch, admin_user):
        thresholds_update(actor=Actor(user=admin_user), values={"diameter_mm": 5})
        _, out, _ = self.run(monkeypatch, json.dumps({**self.FACTS, "systemic_option_high_cerebral_response": "no"}),
                             "--json")
        assert "diam>5" in json.loads(out)["rule_set_version"]
        _, out, _ = self.run(monkeypatch, json.dumps(self.FACTS), "--json", "--default-thresholds")
        assert "diam>10" in json.loads(out)["rule_set_version"]

    def test_an_unreadable_threshold_table_is_a_clear_error(self, monkeypatch):
        from django.db import DatabaseError

        def unreadable():
            raise DatabaseError("no such table: triage_thresholdset")

        monkeypatch.setattr("triage.services.current_thresholds", unreadable)
        with pytest.raises(CommandError, match="--default-thresholds") as exc:
            self.run(monkeypatch, json.dumps(self.FACTS), "--json")
        assert exc.value.returncode == 2

    def test_the_human_output_is_dutch(self, monkeypatch):
        status, out, _ = self.run(monkeypatch, json.dumps(self.FACTS))
        assert status == 0 and "Uitkomst" in out

    @pytest.mark.parametrize("text,field", [
        ('{"kps": 75}', "kps"), ('{"kps": true}', "kps"), ('{"colour": "blue"}', "colour"),
        ('{"max_lesion_diameter_mm": 0}', "max_lesion_diameter_mm"),
        ('[{"kps": 80}, {"symptomatic": "ja"}]', "[1].symptomatic"),
    ])
    def test_bad_input_exits_2_naming_the_field(self, monkeypatch, text, field):
        status, out, err = self.run(monkeypatch, text, "--json")
        assert status == 2 and field in err and out == ""

    def test_invalid_json_exits_2(self, monkeypatch):
        status, _, err = self.run(monkeypatch, "{not json", "--json")
        assert status == 2 and err

    def test_a_missing_file_exits_2(self, tmp_path):
        with pytest.raises(SystemExit) as exc:
            from django.core.management import ManagementUtility
            ManagementUtility(["manage.py", "triage", str(tmp_path / "nope.json")]).execute()
        assert exc.value.code == 2


def test_stored_advice_is_shown_as_given_after_the_rules_change(client, referrer, admin_user):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer, kps=70)
    submit(case, referrer)
    thresholds_update(actor=Actor(user=admin_user), values={"kps_min": 80})
    verified_login(client, referrer)
    content = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
    assert "kps&gt;=70" in content or "kps>=70" in content
    # The advice, its path and its diagram are those of the day it was given, not recomputed.
    assert 'data-outcome="NEURO_ONC_MDO"' in content
    panel = content[content.index('class="advice-panel'):]
    assert "KPS ≥ 70 en prognose &gt; 3 maanden?" in panel  # the path (A1 as asked then)
    assert "Drempels: KPS ≥ 70" in panel  # the diagram's footer
    assert "KPS ≥ 80" not in panel and "kps&gt;=80" not in panel
    # Computed today, the same case would be advised differently: so the page really shows the past.
    assert advice_preview(case).outcome != "NEURO_ONC_MDO"


class TestEarlierAdvicePage:
    """Every stored advice can be opened from the timeline and is shown as it was given."""

    def two_advices(self, referrer, admin_user, neuro_oncologist):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer, kps=70)
        submit(case, referrer)
        first = Advice.objects.get(case=case)
        thresholds_update(actor=Actor(user=admin_user), values={"kps_min": 80, "change_reason": "test"})
        case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message="Graag de actuele KPS.")
        case.refresh_from_db()
        case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)
        case.refresh_from_db()
        assert case.advices.count() == 2 and case.current_advice != first
        return case, first

    def test_an_earlier_advice_is_shown_as_given_and_marked_as_replaced(
            self, client, referrer, admin_user, neuro_oncologist):
        case, first = self.two_advices(referrer, admin_user, neuro_oncologist)
        verified_login(client, referrer)
        response = client.get(reverse("casefile:case_advice", args=[case.pk, first.pk]))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Een eerder advies, precies zoals het toen is gegeven" in content
        assert 'data-outcome="NEURO_ONC_MDO"' in content and "kps&gt;=70" in content
        assert "KPS ≥ 70 en prognose &gt; 3 maanden?" in content
        current = client.get(reverse("casefile:case_advice", args=[case.pk, case.current_advice.pk]))
        assert "Dit is het geldende advies voor deze casus." in current.content.decode()
        assert f'data-outcome="{case.current_advice.outcome}"' in current.content.decode()
        assert case.current_advice.outcome != "NEURO_ONC_MDO"

    def test_the_timeline_links_to_each_advice(self, client, referrer, admin_user, neuro_oncologist):
        case, first = self.two_advices(referrer, admin_user, neuro_oncologist)
        verified_login(client, referrer)
        content = client.get(reverse("casefile:case_timeline", args=[case.pk])).content.decode()
        for advice in case.advices.all():
            assert f'href="{reverse("casefile:case_advice", args=[case.pk, advice.pk])}"' in content

    def test_another_hospital_gets_404(self, client, referrer, admin_user, neuro_oncologist, outsider):
        case, first = self.two_advices(referrer, admin_user, neuro_oncologist)
        verified_login(client, outsider)
        assert client.get(reverse("casefile:case_advice", args=[case.pk, first.pk])).status_code == 404

    def test_an_advice_of_another_case_gets_404(self, client, referrer):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        other = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        submit(case, referrer)
        submit(other, referrer)
        verified_login(client, referrer)
        other_advice = Advice.objects.get(case=other)
        assert client.get(reverse("casefile:case_advice", args=[case.pk, other_advice.pk])).status_code == 404


# --- Issue 12 item 9: spec §3 revised (engine lwno-2025.2) ------------------------------------

# Asymptomatic, KPS unknown, a lesion in the brainstem, radiotherapy considered: with a KPS ≥ 70
# the critical location leads to the MDO (A2), below 70 the law does (L1).
BOTH_WAYS_TO_THE_MDO = {"kps": None, "kps_unknown": True, "with_lesion": False}

# What engine lwno-2025.1 stored for that case (computed with triage/engine as it was before
# commit ff280f8, and kept here as the database would hold it).
ADVICE_OF_LWNO_2025_1 = {
    "outcome": "INCOMPLETE_PRECONSULT", "forum": "PRECONSULT_FIRST", "chart": "A",
    "rule_set_version": "lwno-2025.1;kps>=70;prog>3;diam>10;band<=20",
    "thresholds": {"kps_min": 70, "prognosis_months": 3.0, "diameter_mm": 10.0, "diameter_band_upper_mm": 20.0},
    "trace": [
        {"node": "P_TREATMENT_WISH", "question_nl": "Heeft de patiënt een behandelwens?",
         "question_en": "Does the patient wish to be treated?", "answer": "yes", "footnote": "S2_WISH",
         "note_nl": "", "note_en": ""},
        {"node": "P_RADIONECROSIS", "question_nl": "Verdenking radiatienecrose na stereotactische radiotherapie?",
         "question_en": "Suspected radiation necrosis after stereotactic radiotherapy?", "answer": "no",
         "footnote": "S2_RADIONECROSIS", "note_nl": "", "note_en": ""},
        {"node": "P_SYMPTOMATIC", "question_nl": "Symptomatische hersenmetastasen (neurologische uitval, epilepsie)?",
         "question_en": "Symptomatic brain metastases (neurological deficit, epilepsy)?", "answer": "no",
         "footnote": None, "note_nl": "", "note_en": ""},
        {"node": "A1", "question_nl": "KPS ≥ 70 en prognose > 3 maanden?",
         "question_en": "KPS ≥ 70 and prognosis > 3 months?", "answer": "unknown", "footnote": None,
         "note_nl": "Verwachte prognose 12 maanden > 3; KPS ontbreekt en bepaalt de uitkomst: neuro-oncologisch "
                    "MDO bij ja, neuro-oncologisch MDO (wettelijk verplicht) bij nee.",
         "note_en": "Expected prognosis 12 months > 3; KPS is missing and decides the outcome: neuro-oncology "
                    "MDT if yes, neuro-oncology MDT (required by law) if no."},
    ],
    "missing": ["kps"], "deciding": ["kps"], "endpoints": [],
}


def both_ways_case(referrer):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **BOTH_WAYS_TO_THE_MDO)
    LesionFactory(case=case, critical=True, critical_site="brainstem", diameter_mm=14)
    return case


def test_a_missing_fact_whose_branches_all_reach_the_mdo_gives_the_mdo_on_the_case_page(client, referrer):
    case = both_ways_case(referrer)
    submit(case, referrer)
    advice = Advice.objects.get(case=case)
    assert advice.outcome == "NEURO_ONC_MDO" and advice.forum == "NEURO_ONC_MDO"
    assert advice.rule_set_version.startswith("lwno-2025.2;")
    assert advice.missing == ["kps"] and advice.deciding == []
    assert sorted(advice.endpoints) == ["A2_YES", "L1_YES"]
    verified_login(client, referrer)
    content = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
    panel = content[content.index('class="advice-panel'):]
    assert 'data-outcome="NEURO_ONC_MDO"' in content
    # Each branch with its reason, and that this is the application's policy.
    assert "bij ja: kritieke locatie; bij nee: radiotherapie wordt overwogen, wettelijk verplicht" in panel
    assert "geen tekst van de leidraad" in panel
    assert "INCOMPLETE_PRECONSULT" not in content


def test_an_advice_of_the_earlier_engine_is_still_shown_as_given(client, referrer):
    """The same facts, advised by lwno-2025.1 before the revision: the page shows that advice, with
    its version and its own explanation, not today's."""
    case = both_ways_case(referrer)
    submit(case, referrer)
    today = Advice.objects.get(case=case)
    old = Advice.objects.create(case=case, created_by=referrer, trigger=today.trigger, facts=today.facts,
                                **ADVICE_OF_LWNO_2025_1)
    Advice.objects.filter(pk=old.pk).update(created_at=today.created_at)
    case.current_advice = old
    case.save(update_fields=["current_advice"])
    assert advice_preview(case).outcome == "NEURO_ONC_MDO", "today's engine would advise otherwise"
    verified_login(client, referrer)
    content = client.get(reverse("casefile:case_advice", args=[case.pk, old.pk])).content.decode()
    assert 'data-outcome="INCOMPLETE_PRECONSULT"' in content
    assert "lwno-2025.1" in content
    assert "KPS ontbreekt en bepaalt de uitkomst" in content
    assert "bij ja: kritieke locatie" not in content
