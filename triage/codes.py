"""The codes the clinical rules check: the disciplines of the MDO (the legal quorum counts them),
the decisions an MDO advice can hold (the quorum rule and the combination rules read them) and
the follow-up after the advice (spec §7). Defined here, beside those rules (quorum.py,
meeting_advice.py); accounts (a user's discipline) and meetings (attendance, the advice) store them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Discipline(models.TextChoices):
    """Disciplines of the neuro-oncology MDO (guideline section 2)."""

    NEUROLOGY = "neurology", _("Neurology")
    NEUROSURGERY = "neurosurgery", _("Neurosurgery")
    RADIATION_ONCOLOGY = "radiation_oncology", _("Radiation oncology")
    NEURORADIOLOGY = "neuroradiology", _("(Neuro)radiology")
    MEDICAL_ONCOLOGY = "medical_oncology", _("Medical oncology")
    PULMONARY_ONCOLOGY = "pulmonary_oncology", _("Pulmonary oncology")
    NEUROPATHOLOGY = "neuropathology", _("Neuropathology")
    NURSE_SPECIALIST = "nurse_specialist", _("Nurse specialist neuro-oncology")
    OTHER = "other", _("Other")


class Decision(models.TextChoices):
    SRT = "srt", _("Stereotactic radiotherapy")
    RESECTION = "resection", _("Resection")
    RESECTION_SRT = "resection_srt", _("Resection followed by stereotactic radiotherapy of the cavity")
    WBRT = "wbrt", _("Whole-brain radiotherapy")
    SYSTEMIC = "systemic", _("Start or switch systemic therapy")
    WATCHFUL_WAITING = "watchful_waiting", _("Watchful waiting with MRI")
    SUPPORTIVE = "supportive", _("Best supportive care")
    DIAGNOSTICS = "diagnostics", _("Further diagnostics")
    DISCUSS_AGAIN = "discuss_again", _("Discuss again")


class FollowUp(models.TextChoices):
    """Follow-up of spec §7 (both charts)."""

    TREATING_MRI = "treating_mri", _(
        "At the treating physician; brain MRI every 3-4 months (after 2 years consider every 6 months)"
    )
    NEUROLOGY_MRI = "neurology_mri", _(
        "At a neurologist with neuro-oncological expertise; brain MRI every 3-4 months"
    )
    PER_TREATMENT = "per_treatment", _("As part of the treatment advised")
    NONE = "none", _("No imaging follow-up (best supportive care)")
