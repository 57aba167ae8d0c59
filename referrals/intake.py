"""The intake as an ordered list of steps (after pretix's checkout flow).

A step knows its form and how to tell, from the stored case, which of its questions are still
unanswered. The draft lives in the database: every "next" and "save draft" stores the step.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from referrals import forms
from referrals.models import LesionMode

LESIONS_REQUIRED = _("Add at least one lesion, or choose “many or very small lesions”.")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    form_class: type | None
    template: str = "referrals/intake/step.html"
    has_lesions: bool = False

    def values(self, case, lesions=None):
        """The stored answers of this step, keyed like the form fields."""
        if self.form_class is None:
            return {}
        return {name: getattr(case, name) for name in self.form_class._meta.fields}

    def missing(self, case, lesions=None) -> dict:
        """Field name -> message for each question of this step that is still open."""
        if self.form_class is None:
            return {}
        missing = dict(self.form_class.missing_answers(self.values(case)))
        if self.has_lesions and case.lesion_mode == LesionMode.LIST:
            if lesions is None:
                lesions = list(case.lesions.all())
            if not lesions:
                missing["lesions"] = LESIONS_REQUIRED
        return missing

    def is_completed(self, case, lesions=None):
        return not self.missing(case, lesions)


STEPS = (
    Step("patient", _("Patient and referral"), forms.ReferralForm,
         template="referrals/intake/step_patient.html"),
    Step("oncology", _("Oncological history"), forms.OncologyForm),
    Step("history", _("Other history"), forms.HistoryForm),
    Step("extracranial", _("Extracranial disease and prognosis"), forms.ExtracranialForm),
    Step("clinical", _("Clinical status"), forms.ClinicalForm),
    Step("imaging", _("Imaging and lesions"), forms.ImagingForm,
         template="referrals/intake/step_imaging.html", has_lesions=True),
    Step("questions", _("Questions for the MDT"), forms.QuestionsForm),
    Step("review", _("Review and submit"), None, template="referrals/intake/review.html"),
)
STEPS_BY_KEY = {step.key: step for step in STEPS}
FORM_STEPS = tuple(step for step in STEPS if step.form_class is not None)


def next_step(step):
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step):
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def open_questions(case, lesions=None):
    """[(step, {field: message})] for every step that still has unanswered questions."""
    if lesions is None:
        lesions = list(case.lesions.all())
    result = []
    for step in FORM_STEPS:
        missing = step.missing(case, lesions)
        if missing:
            result.append((step, missing))
    return result
