"""The rule-set version names the engine logic: a change of logic must change ENGINE_VERSION.

Stored advice keeps its version string as the claim "computed with this logic and these
thresholds". The fingerprint below is the engine's behaviour (outcome, chart, missing and deciding
facts, and the route of boxes with their answers) over a fixed grid of facts at the default
thresholds. If this test fails, the engine now answers differently: bump ENGINE_VERSION in
triage/engine/thresholds.py and record the new fingerprint under the new version here (keep the
old line as history). Wording of notes and questions is not part of it: it is stored with each
advice anyway.
"""

import hashlib
import itertools
import json

from triage.engine import ENGINE_VERSION, Facts, evaluate

FINGERPRINTS = {
    "lwno-2025.1": "cdf7f7410ddc910a01e2d0655d532af59e87e6204b56f9c77ec77702ff45ba26",
    # Spec §3 revised: differing neuro-oncology MDO codes of a missing fact give NEURO_ONC_MDO.
    "lwno-2025.2": "ff4c17f144518eeb048da4e10e894419ac345566c0bfa05fce8897fcc0dd9653",
}

BOOL = (None, True, False)


def _grid():
    for wish, necrosis, symptomatic, kps, months, over_3 in itertools.product(
            (True, None), (False, None), BOOL, (None, 60, 70), (None, 3), BOOL):
        for critical, diameter, response, rapid, qol, radiotherapy in itertools.product(
                (None, False), (None, 11), (None, "unknown"), (None, True), (None, False), BOOL):
            yield Facts(treatment_wish=wish, suspected_radionecrosis=necrosis, symptomatic=symptomatic,
                        kps=kps, expected_prognosis_months=months, prognosis_over_3_months=over_3,
                        critical_location=critical, max_lesion_diameter_mm=diameter,
                        systemic_option_high_cerebral_response=response,
                        rapid_kps_improvement_expected=rapid, local_treatment_could_improve_qol=qol,
                        radiotherapy_considered=radiotherapy)
    for wish, necrosis in itertools.product(BOOL, BOOL):
        yield Facts(treatment_wish=wish, suspected_radionecrosis=necrosis, symptomatic=True, kps=80,
                    prognosis_over_3_months=True)


def fingerprint():
    digest = hashlib.sha256()
    for facts in _grid():
        result = evaluate(facts)
        digest.update(json.dumps([
            result.outcome, result.forum, result.chart, list(result.missing), list(result.deciding),
            list(result.endpoints), [(step.node, step.answer, step.footnote) for step in result.trace],
        ]).encode())
    return digest.hexdigest()


def test_the_engine_version_changes_with_the_logic():
    assert ENGINE_VERSION in FINGERPRINTS, f"record the fingerprint of {ENGINE_VERSION}: {fingerprint()}"
    assert fingerprint() == FINGERPRINTS[ENGINE_VERSION], (
        f"the engine answers differently from what version {ENGINE_VERSION} recorded: bump ENGINE_VERSION "
        f"and record {fingerprint()} for it")
