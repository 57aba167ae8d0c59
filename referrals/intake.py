"""The intake as an ordered list of step objects (after pretix's checkout flow).

Each step knows whether it applies (`is_applicable`), what it binds to a POST (`bind`: its form
and, for some steps, the patient form or the lesion rows) and, from the stored case, which of its
questions are still open (`missing`, `is_completed`). The draft lives in the database: every
"next" and "save draft" stores the step.
"""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from referrals import forms
from referrals.models import Lesion, LesionMode

LESIONS_REQUIRED = _("Add at least one lesion, or choose “many or very small lesions”.")
LESION_PREFIX = "lesions"


IMPORTED_UNCHECKED = _("Imported: check it and save this step.")


def imported_unchecked(case, step_key):
    """The fields of step `step_key` a FHIR import pre-filled that the referrer has not checked yet
    (the patient's own fields are listed as "patient")."""
    if case is None or not case.imported_fields:
        return []
    return list(case.imported_fields.get(step_key, ()))


class Step:
    """A page of the intake without answers of its own (the review)."""

    template = "referrals/intake/step.html"
    form_class = None
    stores_answers = False
    binds_patient = False
    has_lesions = False

    def __init__(self, key, label, *, template=None):
        self.key = key
        self.label = label
        if template:
            self.template = template

    def __repr__(self):
        return f"<{type(self).__name__} {self.key}>"

    def is_applicable(self, case):
        """Every step applies to a draft; before the draft exists only the first one does."""
        return case is not None

    def missing(self, case, lesions=None) -> dict:
        return {}

    def is_completed(self, case, lesions=None):
        return not self.missing(case, lesions)


class ReviewStep(Step):
    template = "referrals/intake/review.html"

    def is_completed(self, case, lesions=None):
        return not open_questions(case, lesions)


class FormStep(Step):
    """A step with a form of case fields: it stores what is valid of a POST, whatever the button."""

    stores_answers = True

    def __init__(self, key, label, form_class, *, checks_date_of_birth=False, **kwargs):
        super().__init__(key, label, **kwargs)
        self.form_class = form_class
        # The form checks its dates against the patient's date of birth.
        self.checks_date_of_birth = checks_date_of_birth

    @property
    def fields(self):
        return tuple(self.form_class._meta.fields)

    def summary_fields(self, case):
        """The fields the review shows for this step."""
        return self.fields

    def values(self, case):
        """The stored answers of this step, keyed like the form fields."""
        return {name: getattr(case, name) for name in self.fields}

    def missing(self, case, lesions=None) -> dict:
        """Field name -> message for each question of this step that is still open; a value a FHIR
        import pre-filled counts only once the referrer has saved the step (checked it)."""
        missing = dict(self.form_class.missing_answers(self.values(case)))
        for name in imported_unchecked(case, self.key):
            # The patient's own fields (first step) are one question of the case: its patient.
            missing.setdefault(name if name in self.fields or name == "lesions" else "patient", IMPORTED_UNCHECKED)
        return missing

    def _form(self, case, data=None):
        kwargs = {}
        if case is not None:
            # A bound form works on a copy: its validation must not change the case shown.
            kwargs["instance"] = case if data is None else copy.copy(case)
            if self.checks_date_of_birth:
                kwargs["date_of_birth"] = case.patient.date_of_birth
        return self.form_class(data, **kwargs)

    def blank(self, case, *, hospital, query):
        """The step's forms with the stored answers, for a GET: {context name: form}."""
        return {"form": self._form(case), "patient_form": None, "formset": None}

    def bind(self, case, data, *, hospital, action, argument):
        return Submission(self, case, data, self._form(case, data))


class PatientStep(FormStep):
    """The first step: it also binds the patient's identification, and makes the draft."""

    binds_patient = True

    def is_applicable(self, case):
        return True

    @staticmethod
    def _patient_form(case, data, hospital):
        instance = None
        if case is not None:
            instance = case.patient if data is None else copy.copy(case.patient)
        return forms.PatientForm(data, instance=instance, hospital=hospital)

    def blank(self, case, *, hospital, query):
        return {**super().blank(case, hospital=hospital, query=query),
                "patient_form": self._patient_form(case, None, hospital)}

    def bind(self, case, data, *, hospital, action, argument):
        return Submission(self, case, data, self._form(case, data),
                          patient_form=self._patient_form(case, data, hospital))


def lesion_formset(case, data=None, extra=0):
    formset_class = forms.LesionFormSet
    if extra:
        formset_class = type("LesionFormSetExtra", (forms.LesionFormSet,), {"extra": extra})
    return formset_class(data, instance=case, prefix=LESION_PREFIX,
                         queryset=case.lesions.order_by("position", "id"))


class LesionStep(FormStep):
    """The imaging step: its form and the lesion rows, which are required in list mode."""

    has_lesions = True

    def missing(self, case, lesions=None) -> dict:
        missing = super().missing(case, lesions)
        if case.lesion_mode == LesionMode.LIST:
            if lesions is None:
                lesions = list(case.lesions.all())
            if not lesions:
                missing["lesions"] = LESIONS_REQUIRED
        return missing

    # Shown in either lesion mode: what the meeting weighs besides the lesions themselves.
    MEETING_ITEMS = ("mass_effect", "oedema", "csf_obstruction_risk")
    # Where the images are: optional, shown when given.
    VIEWER_ITEMS = ("imaging_url", "accession_number")

    def summary_fields(self, case):
        if case.lesion_mode != LesionMode.MANY:
            return ("mri_date", "lesion_mode", *self.MEETING_ITEMS, *self.VIEWER_ITEMS)
        return self.fields

    def blank(self, case, *, hospital, query):
        extra_rows = 1 if query.get("add") or not case.lesions.all() else 0
        return {**super().blank(case, hospital=hospital, query=query),
                "formset": lesion_formset(case, extra=extra_rows)}

    def bind(self, case, data, *, hospital, action, argument):
        if action == "remove_lesion":
            data = data.copy()
            data[f"{LESION_PREFIX}-{argument}-DELETE"] = "on"
        return Submission(self, case, data, self._form(case, data),
                          formset=lesion_formset(case, data))


class Submission:
    """One step's forms bound to one POST, each validated once.

    `values`, `patient_values` and `lesions` are what may be stored (the valid part); `is_valid`
    says whether that is everything typed, `is_complete` whether the step's questions are all
    answered. The open questions are shown at their fields only after "next".
    """

    def __init__(self, step, case, data, form, *, patient_form=None, formset=None):
        self.step = step
        self.case = case
        self.data = data
        self.form = form
        self.patient_form = patient_form
        self.formset = formset
        # Taken before an open question is marked at its field: an emptied answer is stored too.
        self.values = form.valid_values()
        # With "many or very small lesions" the rows are hidden and not part of the answer: they
        # are neither checked (an error in a hidden row would block the step unseen) nor stored,
        # and the stored rows stay, so switching back to a list brings them back.
        stored_mode = case.lesion_mode if case is not None else ""
        self.lesion_rows_apply = formset is not None and (
            self.values.get("lesion_mode", stored_mode) != LesionMode.MANY
        )
        self.is_valid = (
            form.is_valid()
            and (patient_form is None or patient_form.is_valid())
            and (not self.lesion_rows_apply or formset.is_valid())
        )
        self.open_questions = form.open_questions()
        if self.is_valid and not self.open_questions:
            self.open_questions = self._open_lesion_question(case)
        self.is_complete = self.is_valid and not self.open_questions

    def _open_lesion_question(self, case):
        # In list mode at least one lesion is required; only the form and the rows together know.
        if self.formset is None:
            return {}
        probe = copy.copy(case)
        for name, value in self.values.items():
            setattr(probe, name, value)
        rows = [Lesion(**{k: v for k, v in row.items() if k != "id"}) for row in self.lesions or []]
        missing = self.step.missing(probe, rows)
        return {"lesions": missing["lesions"]} if "lesions" in missing else {}

    @property
    def patient_values(self):
        """The valid part of the patient's identification; all of it for a new draft."""
        form = self.patient_form
        if form is None:
            return None
        if form.is_valid():
            return form.cleaned_data
        # A clash of the identification as a whole (the hospital's patient number or BSN taken)
        # stores none of it: storing its other fields would fail the whole step.
        if self.case is None or NON_FIELD_ERRORS in form.errors:
            return None
        values = {name: value for name, value in form.cleaned_data.items()
                  if name in form.fields and name not in form.errors}
        return values or None

    @property
    def lesions(self):
        """The rows to store: the valid ones as typed, a stored one with an error as it was."""
        if self.lesion_rows_apply and self.formset.rows_can_be_stored():
            return self.formset.lesion_values()
        return None

    def not_stored(self):
        """What of this POST was not stored, in words, for the banner: field labels and rows."""
        items = []
        if self.patient_form is not None and self.patient_form.errors:
            if self.case is None or NON_FIELD_ERRORS in self.patient_form.errors:
                items.append(str(_("the patient's identification")))
            items += [str(self.patient_form.fields[name].label) for name in self.patient_form.errors
                      if name in self.patient_form.fields]
        items += [str(self.form.fields[name].label) for name in self.form.errors
                  if name in self.form.fields]
        if self.lesion_rows_apply:
            if not self.formset.rows_can_be_stored():
                items.append(str(_("the lesion rows")))
                return items
            for number, stored in self._numbered_error_rows():
                template = (_("lesion %(number)s (its stored values are kept)") if stored
                            else _("lesion %(number)s (new, not stored yet)"))
                items.append(str(template % {"number": number}))
        return items

    def _numbered_error_rows(self):
        shown = [form for form in self.formset.forms
                 if not (self.formset.can_delete and self.formset._should_delete_form(form))]
        return [(shown.index(form) + 1, stored) for form, stored in self.formset.rows_with_errors()]

    def rows_stored(self, case):
        """After a partial save: the rows as stored (with their ids) and, after them, the new
        rows still to correct, each as typed, so the page matches the database."""
        if self.lesions is None:
            return
        stored = list(case.lesions.order_by("position", "id"))
        data = self.data.copy()
        for key in [key for key in data if key.startswith(f"{LESION_PREFIX}-")]:
            del data[key]
        pending = [form for form, stored_row in self.formset.rows_with_errors() if not stored_row]
        sources = [form for form, _values in self.formset.stored_rows()] + pending
        ids = [lesion.pk for lesion in stored] + [None] * len(pending)
        for index, (form, pk) in enumerate(zip(sources, ids, strict=False)):
            for name in forms.LesionForm._meta.fields:
                key = form.add_prefix(name)
                if key in self.data:
                    data.setlist(f"{LESION_PREFIX}-{index}-{name}", self.data.getlist(key))
            data[f"{LESION_PREFIX}-{index}-id"] = "" if pk is None else str(pk)
        data[f"{LESION_PREFIX}-TOTAL_FORMS"] = str(len(sources))
        data[f"{LESION_PREFIX}-INITIAL_FORMS"] = str(len(stored))
        self.data = data
        self.formset = lesion_formset(case, data)
        self.formset.is_valid()

    def show_open_questions(self):
        """Mark every open question at its field (or above the form), as "next" does."""
        for name, message in self.open_questions.items():
            self.form.add_error(name if name in self.form.fields else None, message)
        self.open_questions = {}

    def add_error(self, error):
        """An error of the save itself: above the patient form if there is one, else the form."""
        (self.patient_form or self.form).add_error(None, error)

    def add_lesion_row(self, case):
        """After "add lesion" that could not be stored: the rows as typed, and one more."""
        if self.formset is None:
            return
        data = self.data.copy()
        key = f"{LESION_PREFIX}-TOTAL_FORMS"
        try:
            data[key] = str(int(data.get(key, "0")) + 1)
        except ValueError:
            pass
        self.formset = lesion_formset(case, data)
        self.formset.is_valid()

    def forms(self):
        return {"form": self.form, "patient_form": self.patient_form, "formset": self.formset}


STEPS = (
    PatientStep("patient", _("Patient and referral"), forms.ReferralForm,
                template="referrals/intake/step_patient.html"),
    FormStep("oncology", _("Oncological history"), forms.OncologyForm, checks_date_of_birth=True),
    FormStep("history", _("Other history"), forms.HistoryForm),
    FormStep("extracranial", _("Extracranial disease and prognosis"), forms.ExtracranialForm),
    FormStep("clinical", _("Clinical status"), forms.ClinicalForm),
    LesionStep("imaging", _("Imaging and lesions"), forms.ImagingForm, checks_date_of_birth=True,
               template="referrals/intake/step_imaging.html"),
    FormStep("questions", _("Questions for the MDT"), forms.QuestionsForm),
    ReviewStep("review", _("Review and submit")),
)
STEPS_BY_KEY = {step.key: step for step in STEPS}
FORM_STEPS = tuple(step for step in STEPS if step.stores_answers)


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
