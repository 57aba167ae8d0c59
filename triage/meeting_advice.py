"""The clinical rules for the meeting's advice (no database, no request): which decisions cannot
be given together, and which follow-up spec §7 proposes after each chart.

The meeting's advice is a set of decisions (triage.codes.Decision). Most combinations are
advice a clinician gives: resection and then whole-brain radiotherapy, SRT with a switch of
systemic therapy, systemic therapy with MRI surveillance, further diagnostics and discussing the
case again. Two are not:

* best supportive care means no active treatment and no imaging surveillance, so it excludes
  every treatment and watchful waiting with MRI;
* "resection" and "resection followed by stereotactic radiotherapy of the cavity" name the same
  operation twice, and leave open whether the cavity is irradiated: one of the two is meant.

The follow-up must fit the decisions too (checked once the decisions themselves agree):

* "no imaging follow-up (best supportive care)" does not go with an active treatment or with
  watchful waiting with MRI;
* best supportive care has no imaging follow-up, so its follow-up is that one;
* "as part of the treatment advised" needs a treatment among the decisions.
"""

from triage.codes import Decision, FollowUp

SUPPORTIVE = Decision.SUPPORTIVE
# What best supportive care excludes: every active treatment, and surveillance with MRI.
EXCLUDED_BY_SUPPORTIVE = (Decision.SRT, Decision.RESECTION, Decision.RESECTION_SRT, Decision.WBRT,
                          Decision.SYSTEMIC, Decision.WATCHFUL_WAITING)
# Pairs of which one is meant: choosing both says the same twice, or contradicts itself.
ONE_OF = ((Decision.RESECTION, Decision.RESECTION_SRT),)

# The decisions that are a treatment (what "as part of the treatment advised" follows).
TREATMENTS = (Decision.SRT, Decision.RESECTION, Decision.RESECTION_SRT, Decision.WBRT, Decision.SYSTEMIC)
# Follow-up with imaging: what best supportive care excludes.
IMAGING_FOLLOW_UP = (FollowUp.TREATING_MRI, FollowUp.NEUROLOGY_MRI, FollowUp.PER_TREATMENT)

SUPPORTIVE_WITH_ACTIVE = "supportive_with_active"
ONE_OF_TWO = "one_of_two"
NO_FOLLOW_UP_WITH_ACTIVE = "no_follow_up_with_active"
SUPPORTIVE_WITH_FOLLOW_UP = "supportive_with_follow_up"
PER_TREATMENT_WITHOUT_TREATMENT = "per_treatment_without_treatment"

# The form field each kind of conflict is shown at.
FIELD = {SUPPORTIVE_WITH_ACTIVE: "decisions", ONE_OF_TWO: "decisions",
         NO_FOLLOW_UP_WITH_ACTIVE: "follow_up", SUPPORTIVE_WITH_FOLLOW_UP: "follow_up",
         PER_TREATMENT_WITHOUT_TREATMENT: "follow_up"}


def conflicts(decisions, follow_up=None):
    """[(kind, codes)] for every combination of `decisions` (and `follow_up`, when given) that
    cannot be advised; [] when none.

    kind SUPPORTIVE_WITH_ACTIVE: codes are the chosen decisions that best supportive care excludes
    (in the order of EXCLUDED_BY_SUPPORTIVE); kind ONE_OF_TWO: codes are the pair;
    NO_FOLLOW_UP_WITH_ACTIVE: the chosen decisions that need imaging follow-up;
    SUPPORTIVE_WITH_FOLLOW_UP: [follow_up]; PER_TREATMENT_WITHOUT_TREATMENT: [follow_up].
    The follow-up is judged only when the decisions agree with each other: against a
    contradiction, no follow-up would be right."""
    chosen = set(decisions)
    found = []
    if SUPPORTIVE in chosen:
        excluded = [code for code in EXCLUDED_BY_SUPPORTIVE if code in chosen]
        if excluded:
            found.append((SUPPORTIVE_WITH_ACTIVE, excluded))
    for pair in ONE_OF:
        if chosen.issuperset(pair):
            found.append((ONE_OF_TWO, list(pair)))
    if found or not follow_up:
        return found
    if follow_up == FollowUp.NONE:
        needing = [code for code in EXCLUDED_BY_SUPPORTIVE if code in chosen]
        if needing:
            found.append((NO_FOLLOW_UP_WITH_ACTIVE, needing))
    elif SUPPORTIVE in chosen and follow_up in IMAGING_FOLLOW_UP:
        found.append((SUPPORTIVE_WITH_FOLLOW_UP, [follow_up]))
    elif follow_up == FollowUp.PER_TREATMENT and not chosen.intersection(TREATMENTS):
        found.append((PER_TREATMENT_WITHOUT_TREATMENT, [follow_up]))
    return found


# Spec §7: after the asymptomatic chart, follow-up preferably at the treating physician; after the
# symptomatic chart, preferably at a neurologist with neuro-oncological expertise; brain MRI every
# 3-4 months in both.
FOLLOW_UP_BY_CHART = {"A": FollowUp.TREATING_MRI, "S": FollowUp.NEUROLOGY_MRI}


def proposed_follow_up(chart):
    """The follow-up to propose in the advice form for the chart the triage used (None: none)."""
    return FOLLOW_UP_BY_CHART.get(chart)
