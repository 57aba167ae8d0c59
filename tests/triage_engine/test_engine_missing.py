"""Missing facts (spec §3): try every answer; one outcome stands, several mean pre-consultation."""

import math

from triage.engine import Facts, evaluate

A = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 80,
         "expected_prognosis_months": 6, "critical_location": False, "max_lesion_diameter_mm": 8,
         "systemic_option_high_cerebral_response": "no", "radiotherapy_considered": False}
S = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": True, "kps": 80,
         "expected_prognosis_months": 6, "rapid_kps_improvement_expected": False,
         "local_treatment_could_improve_qol": False, "radiotherapy_considered": False}


def evaluate_with(base, **changes):
    return evaluate(Facts(**{**base, **changes}))


def route(result):
    return [(step.node, step.answer) for step in result.trace]


# --- missing facts that decide --------------------------------------------------------------


def test_missing_kps_decides_chart_a():
    result = evaluate_with(A, kps=None)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.forum == "PRECONSULT_FIRST"
    assert result.missing == ("kps",)
    assert result.deciding == ("kps",)
    assert result.endpoints == ()
    assert result.chart == "A"
    last = result.trace[-1]
    assert (last.node, last.answer) == ("A1", "unknown")
    assert "KPS ontbreekt en bepaalt de uitkomst" in last.note_nl
    assert "neuro-oncologisch MDO bij ja, terughoudend beleid bij nee" in last.note_nl
    assert "decides the outcome" in last.note_en


def test_missing_symptomatic_that_decides_leaves_the_chart_open():
    result = evaluate_with(A, symptomatic=None, kps=60)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.chart is None
    assert "symptomatic" in result.deciding
    assert route(result)[-1] == ("P_SYMPTOMATIC", "unknown")


def test_missing_systemic_option_decides():
    result = evaluate_with(A, systemic_option_high_cerebral_response=None)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.deciding == ("systemic_option_high_cerebral_response",)
    note = result.trace[-1].note_nl
    assert "orgaanspecifiek MDO bij ja, neuro-oncologisch MDO bij nee" in note


def test_missing_prognosis_names_both_prognosis_facts():
    result = evaluate_with(S, expected_prognosis_months=None)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.deciding == ("expected_prognosis_months", "prognosis_over_3_months")


def test_missing_treatment_wish_always_decides():
    result = evaluate(Facts())
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.deciding[0] == "treatment_wish"
    assert result.trace[0].node == "P_TREATMENT_WISH"
    assert result.trace[0].answer == "unknown"
    assert set(result.deciding) <= set(result.missing)


def test_only_the_facts_that_make_the_difference_are_deciding():
    # KPS missing, but a rapid improvement is expected: both answers of S1 lead to S2, whose
    # missing prognosis alone makes the difference.
    result = evaluate_with(S, kps=None, rapid_kps_improvement_expected=True,
                           expected_prognosis_months=None)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.missing == ("kps", "expected_prognosis_months", "prognosis_over_3_months")
    assert result.deciding == ("expected_prognosis_months", "prognosis_over_3_months")
    assert route(result)[-2:] == [("S1", "unknown"), ("S2", "unknown")]
    assert "elk mogelijk antwoord leidt tot dezelfde uitkomst" in result.trace[-2].note_nl
    assert "bepaalt de uitkomst" in result.trace[-1].note_nl


# --- missing facts that do not decide -------------------------------------------------------


def test_a_known_no_on_one_side_of_a1_answers_no():
    result = evaluate_with(A, kps=60, expected_prognosis_months=None)
    assert result.outcome == "RESTRAINED_POLICY_NO_MDO"
    assert result.missing == ("expected_prognosis_months", "prognosis_over_3_months")
    assert result.deciding == ()
    a1 = next(step for step in result.trace if step.node == "A1")
    assert a1.answer == "no"
    assert "prognose ontbreekt, maar verandert het antwoord niet" in a1.note_nl


def test_known_short_prognosis_answers_a1_no_without_kps():
    result = evaluate_with(A, kps=None, expected_prognosis_months=2)
    assert result.outcome == "RESTRAINED_POLICY_NO_MDO"
    assert result.missing == ("kps",)
    assert result.deciding == ()


def test_kps_missing_with_a_known_short_prognosis_in_chart_s():
    # S1 yes -> S2 no -> S4; S1 no -> S3 no -> S4: both answers meet again at S4.
    result = evaluate_with(S, kps=None, expected_prognosis_months=2,
                           local_treatment_could_improve_qol=True)
    assert result.outcome == "NEURO_ONC_MDO_QOL"
    assert result.missing == ("kps",)
    assert result.deciding == ()
    assert result.endpoints == ("S4_YES",)
    assert result.chart == "S"
    # The trace shows the open question, then only what every branch shares: S4.
    assert route(result)[3:] == [("S1", "unknown"), ("S4", "yes")]
    assert "elk mogelijk antwoord leidt tot dezelfde uitkomst" in result.trace[3].note_nl


def test_kps_and_rapid_improvement_both_missing_with_short_prognosis():
    result = evaluate_with(S, kps=None, rapid_kps_improvement_expected=None,
                           expected_prognosis_months=2)
    assert result.outcome == "NO_MDO_NO_MEANINGFUL_OPTIONS"
    assert result.missing == ("kps", "rapid_kps_improvement_expected")
    assert result.deciding == ()
    assert route(result)[-3:] == [("S1", "unknown"), ("S4", "no"), ("L1_RADIOTHERAPY_LEGAL", "no")]


def test_several_boxes_with_the_same_outcome_are_all_endpoints():
    result = evaluate_with(A, critical_location=None, max_lesion_diameter_mm=15)
    assert result.outcome == "NEURO_ONC_MDO"
    assert result.endpoints == ("A2_YES", "A3_YES")
    assert result.missing == ("critical_location",)

    result = evaluate_with(A, max_lesion_diameter_mm=None)
    assert result.outcome == "NEURO_ONC_MDO"
    assert result.endpoints == ("A3_YES", "A4_NO")


def test_facts_not_on_the_route_are_not_missing():
    result = evaluate_with(A, critical_location=True, max_lesion_diameter_mm=None,
                           systemic_option_high_cerebral_response=None)
    assert result.outcome == "NEURO_ONC_MDO"
    assert result.missing == ()


def test_missing_symptomatic_that_does_not_decide():
    both = {**A, **S, "critical_location": True, "symptomatic": None}
    result = evaluate(Facts(**both))
    assert result.outcome == "NEURO_ONC_MDO"
    assert result.chart is None  # the two answers went through different charts
    assert result.missing == ("symptomatic",)
    assert result.endpoints == ("S2_YES", "A2_YES")
    assert route(result)[-1] == ("P_SYMPTOMATIC", "unknown")


def test_nan_counts_as_missing():
    result = evaluate_with(S, expected_prognosis_months=math.nan)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert "expected_prognosis_months" in result.deciding


def test_out_of_range_numbers_do_not_raise():
    result = evaluate_with(A, kps=-10, expected_prognosis_months=-math.inf,
                           max_lesion_diameter_mm=math.inf)
    assert result.outcome == "RESTRAINED_POLICY_NO_MDO"


def test_unknown_notes_in_english():
    result = evaluate_with(A, kps=None)
    assert result.trace[-1].note_en == (
        "Expected prognosis 6 months > 3; KPS is missing and decides the outcome: "
        "neuro-oncology MDT if yes, restrained policy if no."
    )


def test_long_outcome_lists_are_summarised():
    note = evaluate(Facts()).trace[0].note_nl
    assert "een van 7 uitkomsten, afhankelijk van andere ontbrekende gegevens bij ja" in note
    assert "geen MDO (geen behandelwens) bij nee" in note


# --- spec §3, revised 2026-12: every branch reaches the neuro-oncology MDO -------------------


def test_missing_kps_whose_branches_all_reach_the_mdo_gives_the_mdo():
    # KPS ≥ 70: critical location (A2); KPS < 70: restrained policy, but radiotherapy is
    # considered, so the law requires the MDO (L1). Both ways the patient goes to the MDO.
    result = evaluate_with(A, kps=None, critical_location=True, radiotherapy_considered=True)
    assert result.outcome == "NEURO_ONC_MDO"
    assert result.forum == "NEURO_ONC_MDO"
    assert result.missing == ("kps",), "still needed for the meeting"
    assert result.deciding == (), "no missing fact decides where the patient goes"
    assert set(result.endpoints) == {"A2_YES", "L1_YES"}
    step = next(s for s in result.trace if s.answer == "unknown")
    assert step.node == "A1"
    assert ("bij ja: kritieke locatie; bij nee: radiotherapie wordt overwogen, wettelijk verplicht"
            in step.note_nl)
    assert "geen tekst van de leidraad" in step.note_nl
    assert "if yes: critical location; if no: radiotherapy considered, required by law" in step.note_en
    assert "not guideline text" in step.note_en


def test_missing_qol_between_two_mdo_codes_gives_the_mdo():
    # Symptomatic, KPS and prognosis too low: S4 decides QOL (MDO) or no options; radiotherapy
    # considered makes the "no" branch the legal MDO too.
    result = evaluate_with(S, kps=50, local_treatment_could_improve_qol=None, radiotherapy_considered=True)
    assert result.outcome == "NEURO_ONC_MDO"
    assert result.missing == ("local_treatment_could_improve_qol",)
    assert set(result.endpoints) == {"S4_YES", "L1_YES"}
    note = next(s for s in result.trace if s.answer == "unknown").note_nl
    assert "lokale behandeling kan de kwaliteit van leven verbeteren" in note


def test_a_branch_outside_the_mdo_still_asks_for_pre_consultation():
    # Same missing KPS, radiotherapy not considered: KPS < 70 ends in restrained policy.
    result = evaluate_with(A, kps=None, critical_location=True, radiotherapy_considered=False)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.deciding == ("kps",)
