"""An independent second reading of spec §3, compared with the engine over a systematic grid.

The oracle below was written from spec.md §1-§3 and the guideline text only, without reading the
engine's code. It is deliberately plain: readings (one yes/no/None per box) from the facts, a walk
that forks at every box whose reading is missing, and the policy of spec §3 on the leaves. The
engine and the oracle must agree on the outcome, the forum, the chart, the missing facts, the
facts that decide, and (for complete facts) on every box visited with its answer.
"""

import itertools
import random

import pytest

from triage.engine import Facts, Thresholds, evaluate

FORUM = {
    "NEURO_ONC_MDO": "NEURO_ONC_MDO",
    "NEURO_ONC_MDO_QOL": "NEURO_ONC_MDO",
    "NEURO_ONC_MDO_RADIONECROSIS": "NEURO_ONC_MDO",
    "NEURO_ONC_MDO_LEGAL": "NEURO_ONC_MDO",
    "ORGAN_SPECIFIC_MDO": "ORGAN_SPECIFIC_MDO",
    "RESTRAINED_POLICY_NO_MDO": "NONE",
    "NO_MDO_NO_MEANINGFUL_OPTIONS": "NONE",
    "NO_MDO_NO_TREATMENT_WISH": "NONE",
    "INCOMPLETE_PRECONSULT": "PRECONSULT_FIRST",
}
# Spec §3 step 5: the endpoints on which the legal rule is asked.
LEGAL_ENDPOINTS = {"ORGAN_SPECIFIC_MDO", "RESTRAINED_POLICY_NO_MDO", "NO_MDO_NO_MEANINGFUL_OPTIONS"}

# The fact a reading rests on; the prognosis reading rests on either of two facts and is reported
# under the bool (it wins over the number, spec §4).
READING_FACT = {
    "wish": "treatment_wish",
    "necrosis": "suspected_radionecrosis",
    "symptomatic": "symptomatic",
    "kps_ok": "kps",
    "prognosis_ok": "prognosis",
    "critical": "critical_location",
    "large": "max_lesion_diameter_mm",
    "high_response": "systemic_option_high_cerebral_response",
    "rapid": "rapid_kps_improvement_expected",
    "qol": "local_treatment_could_improve_qol",
    "radiotherapy": "radiotherapy_considered",
}


# Spec §1, written out here rather than taken from the engine's defaults.
SPEC_THRESHOLDS = Thresholds(kps_min=70, prognosis_months=3, diameter_mm=10, diameter_band_upper_mm=20)

NODE_READINGS = {
    "P_TREATMENT_WISH": ("wish",), "P_RADIONECROSIS": ("necrosis",), "P_SYMPTOMATIC": ("symptomatic",),
    "A1": ("kps_ok", "prognosis_ok"), "A2": ("critical",), "A3": ("large",), "A4": ("high_response",),
    "S1": ("kps_ok",), "S2": ("prognosis_ok",), "S3": ("rapid",), "S4": ("qol",),
    "L1_RADIOTHERAPY_LEGAL": ("radiotherapy",),
}


def readings(facts: dict, t: Thresholds) -> dict:
    """One yes/no/None per question of the charts (spec §1, §3, §4)."""
    # The bool says "prognosis > 3 months"; it answers "> T months" only where it implies that
    # (yes for T <= 3, no for T >= 3); otherwise the number answers, if given.
    over_3 = facts.get("prognosis_over_3_months")
    if (over_3 is True and t.prognosis_months <= 3) or (over_3 is False and t.prognosis_months >= 3):
        prognosis = over_3
    elif facts.get("expected_prognosis_months") is not None:
        prognosis = facts["expected_prognosis_months"] > t.prognosis_months
    else:
        prognosis = None
    kps = facts.get("kps")
    diameter = facts.get("max_lesion_diameter_mm")
    response = facts.get("systemic_option_high_cerebral_response")
    return {
        "wish": facts.get("treatment_wish"),
        "necrosis": facts.get("suspected_radionecrosis"),
        "symptomatic": facts.get("symptomatic"),
        "kps_ok": None if kps is None else kps >= t.kps_min,
        "prognosis_ok": prognosis,
        "critical": facts.get("critical_location"),
        "large": None if diameter is None else diameter > t.diameter_mm,
        # "unknown" is an answer (no), not a missing fact (spec §3 A4).
        "high_response": None if response is None else response == "yes",
        "rapid": facts.get("rapid_kps_improvement_expected"),
        "qol": facts.get("local_treatment_could_improve_qol"),
        "radiotherapy": facts.get("radiotherapy_considered"),
    }


class Fork(Exception):
    def __init__(self, reading):
        self.reading = reading


def walk(r: dict, original: dict):
    """One plain walk with every reading known (raises Fork at the first missing one it needs).

    Returns (outcome, chart, route, touched) with route a list of (node, "yes"|"no") and touched
    the readings missing in ``original`` that a box on the route asks for.
    """
    route = []
    touched = set()

    def ask(node, *names):
        # A box whose fact is missing lists it, even when its answer is known without it (A1).
        touched.update(n for n in names if original[n] is None)
        # An AND of readings (A1): a known "no" answers no even when another side is missing.
        values = [r[n] for n in names]
        if any(v is False for v in values):
            answer = False
        else:
            for n, v in zip(names, values, strict=True):
                if v is None:
                    raise Fork(n)
            answer = True
        route.append((node, "yes" if answer else "no"))
        return answer

    if not ask("P_TREATMENT_WISH", "wish"):
        return "NO_MDO_NO_TREATMENT_WISH", None, route, touched
    if ask("P_RADIONECROSIS", "necrosis"):
        return "NEURO_ONC_MDO_RADIONECROSIS", None, route, touched
    if ask("P_SYMPTOMATIC", "symptomatic"):
        chart = "S"
        if ask("S1", "kps_ok") or ask("S3", "rapid"):
            endpoint = "NEURO_ONC_MDO" if ask("S2", "prognosis_ok") else None
        else:
            endpoint = None
        if endpoint is None:
            endpoint = "NEURO_ONC_MDO_QOL" if ask("S4", "qol") else "NO_MDO_NO_MEANINGFUL_OPTIONS"
    else:
        chart = "A"
        if not ask("A1", "kps_ok", "prognosis_ok"):
            endpoint = "RESTRAINED_POLICY_NO_MDO"
        elif ask("A2", "critical") or ask("A3", "large"):
            endpoint = "NEURO_ONC_MDO"
        elif ask("A4", "high_response"):
            endpoint = "ORGAN_SPECIFIC_MDO"
        else:
            endpoint = "NEURO_ONC_MDO"
    if endpoint in LEGAL_ENDPOINTS and ask("L1_RADIOTHERAPY_LEGAL", "radiotherapy"):
        return "NEURO_ONC_MDO_LEGAL", chart, route, touched
    return endpoint, chart, route, touched


def leaves(r: dict, assumed=None):
    """Every scenario of the missing-data policy: (assumed readings, outcome, chart, route, touched)."""
    assumed = assumed or {}
    try:
        outcome, chart, route, touched = walk({**r, **assumed}, r)
    except Fork as fork:
        return [leaf for value in (True, False) for leaf in leaves(r, {**assumed, fork.reading: value})]
    return [(assumed, outcome, chart, route, touched)]


def oracle(facts: dict, t: Thresholds = SPEC_THRESHOLDS) -> dict:
    scenarios = leaves(readings(facts, t))
    outcomes = {s[1] for s in scenarios}
    # The chart of the scenarios that reached one (a gate endpoint has none).
    charts = {s[2] for s in scenarios if s[2] is not None}
    missing = {name for s in scenarios for name in s[4]}
    # A missing reading decides when two scenarios that assume it differently, and agree on
    # everything else both assume, end differently (flipping it alone changes the outcome).
    deciding = set()
    for (a1, o1, *_), (a2, o2, *_) in itertools.combinations(scenarios, 2):
        if o1 == o2:
            continue
        differ = [k for k in a1.keys() & a2.keys() if a1[k] != a2[k]]
        if len(differ) == 1:
            deciding.add(differ[0])
    if len(outcomes) == 1:
        outcome = outcomes.pop()
    elif all(FORUM[o] == "NEURO_ONC_MDO" for o in outcomes):
        # Spec §3, revised 2026-12: different neuro-oncology MDO codes all reach that meeting.
        outcome = "NEURO_ONC_MDO"
    else:
        outcome = "INCOMPLETE_PRECONSULT"
    return {
        "outcome": outcome,
        "forum": FORUM[outcome],
        "chart": charts.pop() if len(charts) == 1 else None,
        "missing": {READING_FACT[m] for m in missing},
        "deciding": {READING_FACT[m] for m in deciding} if outcome == "INCOMPLETE_PRECONSULT" else set(),
        "route": scenarios[0][3] if len(scenarios) == 1 else None,
    }


def canonical(names):
    """The engine may name a missing prognosis by either of its two facts."""
    return {"prognosis" if n in ("prognosis_over_3_months", "expected_prognosis_months") else n for n in names}


def compare(facts: dict, t: Thresholds | None = None):
    want = oracle(facts, t or SPEC_THRESHOLDS)
    # Without thresholds the engine uses its defaults, which must be those of spec §1.
    got = evaluate(Facts(**facts), t) if t else evaluate(Facts(**facts))
    context = f"facts={facts} thresholds={t}"
    assert got.outcome == want["outcome"], context
    assert got.forum == want["forum"], context
    assert got.chart == want["chart"], context
    assert canonical(got.missing) == want["missing"], context
    assert canonical(got.deciding) == want["deciding"], context
    assert got.trace and got.trace[0].node == "P_TREATMENT_WISH", context
    if want["route"] is not None:
        assert [(s.node, s.answer) for s in got.trace] == want["route"], context
    else:
        # Facts are missing and branch: the trace says so, and only on boxes whose fact is missing.
        unknown = [s.node for s in got.trace if s.answer == "unknown"]
        assert unknown, context
        for node in unknown:
            assert {READING_FACT[r] for r in NODE_READINGS[node]} & want["missing"], context
    return got


# --- the grids --------------------------------------------------------------------------------

BOOL = (None, True, False)
KPS = (None, 60, 70)
MONTHS = (None, 3, 4)
DIAMETER = (None, 10, 11, 20, 21)
RESPONSE = (None, "yes", "no", "unknown")


def _grid(**axes):
    names = list(axes)
    for values in itertools.product(*axes.values()):
        yield {n: v for n, v in zip(names, values, strict=True) if v is not None}


def test_chart_a_exhaustive():
    # 19,440 combinations: every chart A fact with its boundaries and None, behind open gates.
    for facts in _grid(treatment_wish=(True, None), suspected_radionecrosis=(False, None),
                       symptomatic=(False,), kps=KPS, expected_prognosis_months=MONTHS,
                       prognosis_over_3_months=BOOL, critical_location=BOOL,
                       max_lesion_diameter_mm=DIAMETER, systemic_option_high_cerebral_response=RESPONSE,
                       radiotherapy_considered=BOOL):
        compare(facts)


def test_chart_s_exhaustive():
    for facts in _grid(treatment_wish=(True, None), suspected_radionecrosis=(False, None),
                       symptomatic=(True,), kps=KPS, expected_prognosis_months=MONTHS,
                       prognosis_over_3_months=BOOL, rapid_kps_improvement_expected=BOOL,
                       local_treatment_could_improve_qol=BOOL, radiotherapy_considered=BOOL):
        compare(facts)


def test_symptom_status_missing_mixes_both_charts():
    prognosis = ({}, {"expected_prognosis_months": 3}, {"expected_prognosis_months": 4},
                 {"prognosis_over_3_months": True}, {"prognosis_over_3_months": False})
    for facts in _grid(treatment_wish=(True,), suspected_radionecrosis=(False,), kps=KPS,
                       critical_location=BOOL, max_lesion_diameter_mm=(None, 21),
                       systemic_option_high_cerebral_response=(None, "yes", "unknown"),
                       rapid_kps_improvement_expected=BOOL, local_treatment_could_improve_qol=BOOL,
                       radiotherapy_considered=BOOL):
        for extra in prognosis:
            compare({**facts, **extra})


def test_gates_with_every_chart_outcome():
    rng = random.Random(20251)
    chart_facts = [_random_facts(rng, gates=False) for _ in range(60)]
    for gates in _grid(treatment_wish=BOOL, suspected_radionecrosis=BOOL, symptomatic=BOOL):
        for facts in chart_facts:
            compare({**facts, **gates})


def _random_facts(rng, gates=True):
    def pick(*values):
        return rng.choice(values)

    facts = {
        "kps": pick(None, *range(0, 101, 10)),
        "on_dexamethasone": pick(*BOOL),
        "dexamethasone_mg_per_day": pick(None, 0, 4, 16),
        "expected_prognosis_months": pick(None, 0, 2.5, 3, 3.01, 4, 24),
        "prognosis_over_3_months": pick(*BOOL),
        "critical_location": pick(*BOOL),
        "critical_location_site": pick(None, "brainstem", "other"),
        "max_lesion_diameter_mm": pick(None, 0.5, 10, 10.5, 11, 20, 21, 60),
        "lesion_count": pick(None, 1, 3, 40),
        "systemic_option_high_cerebral_response": pick(*RESPONSE),
        "rapid_kps_improvement_expected": pick(*BOOL),
        "local_treatment_could_improve_qol": pick(*BOOL),
        "radiotherapy_considered": pick(*BOOL),
        "recurrence": pick(*BOOL),
    }
    if gates:
        facts.update(treatment_wish=pick(True, True, None, False),
                     suspected_radionecrosis=pick(False, False, None, True), symptomatic=pick(*BOOL))
    return {k: v for k, v in facts.items() if v is not None}


def test_random_facts_with_information_only_fields():
    rng = random.Random(7)
    for _ in range(5000):
        compare(_random_facts(rng))


@pytest.mark.parametrize("thresholds", [
    Thresholds(kps_min=60, prognosis_months=6, diameter_mm=20, diameter_band_upper_mm=30),
    Thresholds(kps_min=80, prognosis_months=2, diameter_mm=5, diameter_band_upper_mm=5),
])
def test_other_thresholds(thresholds):
    rng = random.Random(11)
    for _ in range(3000):
        compare(_random_facts(rng), thresholds)


def test_oracle_reads_the_spec():
    """The oracle itself, on cases read straight from spec §3 (so a wrong oracle cannot agree)."""
    base = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 70,
            "expected_prognosis_months": 4, "critical_location": False, "max_lesion_diameter_mm": 10,
            "systemic_option_high_cerebral_response": "unknown", "radiotherapy_considered": False}
    assert oracle(base)["outcome"] == "NEURO_ONC_MDO"  # A4: unknown counts as no (fn 5)
    assert oracle({**base, "kps": 60})["outcome"] == "RESTRAINED_POLICY_NO_MDO"
    assert oracle({**base, "expected_prognosis_months": 3})["outcome"] == "RESTRAINED_POLICY_NO_MDO"
    assert oracle({**base, "expected_prognosis_months": 3, "prognosis_over_3_months": True})["outcome"] == \
        "NEURO_ONC_MDO"
    assert oracle({**base, "systemic_option_high_cerebral_response": "yes"})["outcome"] == "ORGAN_SPECIFIC_MDO"
    assert oracle({**base, "systemic_option_high_cerebral_response": "yes", "radiotherapy_considered": True}
                  )["outcome"] == "NEURO_ONC_MDO_LEGAL"
    # A1 is an AND: KPS 60 answers no whatever the prognosis; the prognosis is listed, not deciding.
    low = oracle({**base, "kps": 60, "expected_prognosis_months": None})
    assert (low["outcome"], low["missing"], low["deciding"]) == ("RESTRAINED_POLICY_NO_MDO", {"prognosis"}, set())
    # A missing diameter behind a critical location is not reached at all.
    assert oracle({**base, "critical_location": True, "max_lesion_diameter_mm": None})["missing"] == set()
    # Missing but not deciding: A3 yes and A3 no (A4 unknown -> fn 5) both lead to NEURO_ONC_MDO.
    same = oracle({**base, "max_lesion_diameter_mm": None})
    assert (same["outcome"], same["missing"], same["deciding"]) == (
        "NEURO_ONC_MDO", {"max_lesion_diameter_mm"}, set())
    # The wish gate before the legal rule.
    assert oracle({**base, "treatment_wish": False, "radiotherapy_considered": True})["outcome"] == \
        "NO_MDO_NO_TREATMENT_WISH"
    symptomatic = {**base, "symptomatic": True, "kps": 60, "rapid_kps_improvement_expected": True,
                   "local_treatment_could_improve_qol": False}
    assert oracle(symptomatic)["route"] == [
        ("P_TREATMENT_WISH", "yes"), ("P_RADIONECROSIS", "no"), ("P_SYMPTOMATIC", "yes"),
        ("S1", "no"), ("S3", "yes"), ("S2", "yes")]
    assert oracle({**symptomatic, "expected_prognosis_months": 3})["outcome"] == "NO_MDO_NO_MEANINGFUL_OPTIONS"
    # Radionecrosis on both charts, before the symptom question.
    assert oracle({**base, "suspected_radionecrosis": True, "symptomatic": None})["outcome"] == \
        "NEURO_ONC_MDO_RADIONECROSIS"
    missing_wish = oracle({**base, "treatment_wish": None})
    assert (missing_wish["outcome"], missing_wish["deciding"]) == ("INCOMPLETE_PRECONSULT", {"treatment_wish"})
