"""The legal quorum of the neuro-oncology MDO and which meeting advice it governs (spec §6).

Regeling bijzondere neurochirurgie (in force 1 July 2025): a patient for whom radiotherapy is
considered or advised may only be advised so by an MDO in which a neurosurgeon, a radiation
oncologist, a neurologist and a neuroradiologist were present. No database, no request.
"""

from triage.codes import Decision, Discipline

REQUIRED_DISCIPLINES = (Discipline.NEUROSURGERY, Discipline.RADIATION_ONCOLOGY, Discipline.NEUROLOGY,
                        Discipline.NEURORADIOLOGY)

# The meeting decisions that include radiotherapy.
RADIOTHERAPY_DECISIONS = frozenset({Decision.SRT, Decision.RESECTION_SRT, Decision.WBRT})


def missing_disciplines(present):
    """The required disciplines not among `present` (an iterable of discipline codes), in order."""
    present = set(present)
    return [discipline for discipline in REQUIRED_DISCIPLINES if discipline not in present]


def needs_quorum(decisions):
    """Whether a meeting advice with these decisions may only be recorded with the quorum."""
    return bool(RADIOTHERAPY_DECISIONS.intersection(decisions))
