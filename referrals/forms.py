"""The intake forms, one per step.

A bound form checks only the format of what was typed, so a draft can always be saved.
Whether every question the step asks is answered — "Onbekend" is an answer, an empty field is
not — is a second reading of the same cleaned values: `missing_answers` holds those rules once,
for the bound form (`open_questions`) and for the completeness check of a stored case.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from referrals.models import (
    Answer,
    Case,
    Lesion,
    LesionMode,
    Patient,
    PresenterRole,
    PrimaryTumour,
)
from triage.facts import SYMPTOM_FIELDS, SYMPTOMATIC_ONLY, symptomatic

ANSWER_REQUIRED = _("Please answer this question; choose “Unknown” if the answer is not known.")
FIELD_REQUIRED = _("Please fill in this field.")
CHOICE_REQUIRED = _("Please choose one of the options.")

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class NumberText(forms.TextInput):
    """A number typed as text. Chromium's number input silently drops a decimal comma, so a
    Dutch "4,5" arrives as 45 (and a lesion of "12,5" mm as 125): a wrong dose or size that
    passes every range check. As text, what was typed reaches the server, which parses it."""

    def __init__(self, attrs=None, decimal=False):
        super().__init__({"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off",
                          **(attrs or {})})


class DecimalCommaField(forms.DecimalField):
    """A decimal that accepts the Dutch comma as well as a point, in either language; a whole
    number is shown without its ".0"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            return int(value)
        return super().prepare_value(value)


class WebLinkField(forms.URLField):
    """A link to open in the browser: http or https only (a javascript:, data: or file: link is
    refused at the field); typed without a scheme, https is assumed."""

    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {"invalid": _("Give a web address that starts with http:// or https://.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


def _decimal(attrs=None):
    """Form options for a decimal of one place typed as text: see NumberText."""
    return NumberText(attrs, decimal=True)


class StepForm(forms.ModelForm):
    """Base of every intake step form."""

    # Fields a complete step has answered, and conditional rules in `conditional`.
    required_fields: tuple = ()
    # field -> "other_field=value|other_field=value": the page hides the field (static/js/app.js)
    # while none of the conditions holds and it is empty. Without JavaScript all are shown.
    show_when: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            model_field = self._meta.model._meta.get_field(name)
            if model_field.choices and name not in self.select_fields:
                field.widget = forms.RadioSelect(choices=model_field.choices)
                field.choices = list(model_field.choices)
            elif model_field.choices:
                field.choices = [("", "—")] + list(model_field.choices)
            if name in self.show_when:
                field.widget.attrs["data-show-when"] = self.show_when[name]

    select_fields: tuple = ()

    @classmethod
    def missing_answers(cls, values) -> dict:
        """Field name -> message for every question of this step that is still unanswered."""
        missing = {}
        for name in cls.required_fields:
            if values.get(name) in (None, ""):
                missing[name] = cls._required_message(name)
        missing.update(cls.conditional(values))
        return missing

    @classmethod
    def _required_message(cls, name):
        model_field = cls._meta.model._meta.get_field(name)
        if model_field.choices and set(dict(model_field.choices)) == set(Answer.values):
            return ANSWER_REQUIRED
        if model_field.choices:
            return CHOICE_REQUIRED
        return FIELD_REQUIRED

    @classmethod
    def conditional(cls, values) -> dict:
        return {}

    def open_questions(self) -> dict:
        """Field name -> message for each question this bound form leaves unanswered.

        Read from the values that passed validation; a field with an error already says so.
        """
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {
            name: message for name, message in self.missing_answers(self.cleaned_data).items()
            if name in self.fields and name not in self.errors
        }

    def valid_values(self):
        """The fields that passed validation, for saving a draft even when others did not."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {
            name: value for name, value in self.cleaned_data.items()
            if name in self.fields and name not in self.errors
        }


def _need(values, name, message=FIELD_REQUIRED):
    return {} if values.get(name) not in (None, "") else {name: message}


class PatientForm(forms.ModelForm):
    """Patient identification. Always strict: a draft needs a patient to belong to."""

    class Meta:
        model = Patient
        fields = ["patient_number", "family_name", "given_names", "date_of_birth", "sex", "bsn"]
        widgets = {"date_of_birth": DateInput(), "sex": forms.RadioSelect}

    def __init__(self, *args, hospital, **kwargs):
        self.hospital = hospital
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = list(Patient._meta.get_field("sex").choices)
        self.fields["bsn"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value and value.year < 1900:
            raise ValidationError(_("This date of birth lies too far in the past."), code="too_old")
        return value

    def clean_bsn(self):
        bsn = self.cleaned_data["bsn"].strip()
        # The unique constraint covers hospital and BSN, so Django would report a clash above the
        # form instead of at this field. A new referral with the number of a known patient is
        # linked to that patient (services.patient_for_referral): their own BSN is no clash.
        others = Patient.objects.filter(hospital=self.hospital, bsn=bsn).exclude(pk=self.instance.pk)
        number = self.cleaned_data.get("patient_number")
        if self.instance._state.adding and number:
            others = others.exclude(patient_number__iexact=number)
        if bsn and others.exists():
            raise ValidationError(_(
                "Your hospital already has a patient with this BSN. Check the BSN, or give that "
                "patient's hospital patient number."
            ), code="bsn_taken")
        return bsn

    def _post_clean(self):
        # The hospital is not a form field; set it so the unique constraints are checked.
        self.instance.hospital = self.hospital
        super()._post_clean()


class ReferralForm(StepForm):
    required_fields = ("presenter_role", "systemic_activity_discussed")
    show_when = {"presenter_name": "presenter_role=neurologist|presenter_role=nurse|presenter_role=other"}

    class Meta:
        model = Case
        fields = ["presenter_role", "presenter_name", "systemic_activity_discussed"]

    @classmethod
    def conditional(cls, values):
        if values.get("presenter_role") and values["presenter_role"] != PresenterRole.TREATING_PHYSICIAN:
            return _need(values, "presenter_name")
        return {}


class OncologyForm(StepForm):
    required_fields = ("primary_tumour", "driver_mutation", "prior_brain_metastases")
    select_fields = ("primary_tumour",)
    show_when = {
        "primary_tumour_other": "primary_tumour=other",
        "driver_mutation_detail": "driver_mutation=yes",
        "prior_bm_treatment": "prior_brain_metastases=yes",
        "prior_bm_effect": "prior_brain_metastases=yes",
        "prior_radiation_fields": "prior_brain_metastases=yes",
    }

    class Meta:
        model = Case
        fields = [
            "primary_tumour", "primary_tumour_other", "primary_diagnosis_date",
            "molecular_markers", "driver_mutation", "driver_mutation_detail",
            "prior_treatment_lines", "prior_brain_metastases", "prior_bm_treatment",
            "prior_bm_effect", "prior_radiation_fields",
        ]
        widgets = {
            "primary_diagnosis_date": DateInput(),
            "molecular_markers": TEXTAREA,
            "prior_treatment_lines": TEXTAREA,
            "prior_bm_treatment": TEXTAREA,
            "prior_bm_effect": TEXTAREA,
            "prior_radiation_fields": TEXTAREA,
        }

    def __init__(self, *args, date_of_birth=None, **kwargs):
        self.date_of_birth = date_of_birth
        super().__init__(*args, **kwargs)

    def clean_primary_diagnosis_date(self):
        value = self.cleaned_data["primary_diagnosis_date"]
        if value and self.date_of_birth and value < self.date_of_birth:
            raise ValidationError(_("This date lies before the date of birth."), code="before_birth")
        return value

    @classmethod
    def conditional(cls, values):
        missing = {}
        if values.get("primary_tumour") == PrimaryTumour.OTHER:
            missing.update(_need(values, "primary_tumour_other"))
        if values.get("driver_mutation") == Answer.YES:
            missing.update(_need(values, "driver_mutation_detail"))
        if values.get("prior_brain_metastases") == Answer.YES:
            missing.update(_need(values, "prior_bm_treatment"))
        return missing


class HistoryForm(StepForm):
    required_fields = ("comorbidity_relevant", "anticoagulation")
    show_when = {"anticoagulation_detail": "anticoagulation=yes"}

    class Meta:
        model = Case
        fields = ["comorbidity_relevant", "comorbidity", "anticoagulation", "anticoagulation_detail"]
        widgets = {"comorbidity": TEXTAREA}

    @classmethod
    def conditional(cls, values):
        missing = {}
        if values.get("comorbidity_relevant") == Answer.YES:
            missing.update(_need(values, "comorbidity"))
        if values.get("anticoagulation") == Answer.YES:
            missing.update(_need(values, "anticoagulation_detail"))
        return missing


class ExtracranialForm(StepForm):
    required_fields = ("extracranial_status", "systemic_option")
    show_when = {"systemic_line": "systemic_option=yes", "cerebral_response": "systemic_option=yes",
                 # Without a number of months, the guideline's own question.
                 "prognosis_over_3_months": "prognosis_months="}

    class Meta:
        model = Case
        fields = [
            "extracranial_status", "systemic_option", "systemic_line", "cerebral_response",
            "prognosis_months", "prognosis_unknown", "prognosis_over_3_months",
        ]
        widgets = {"prognosis_months": _decimal()}
        field_classes = {"prognosis_months": DecimalCommaField}
        localized_fields = ("prognosis_months",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("prognosis_unknown") and cleaned.get("prognosis_months") is not None:
            self.add_error(
                "prognosis_months",
                _("Give a prognosis in months, or tick “prognosis unknown” — not both."),
            )
        if cleaned.get("prognosis_months") is not None and cleaned.get("prognosis_over_3_months"):
            self.add_error(
                "prognosis_over_3_months",
                _("A prognosis in months is given: answer “more than 3 months” only without it."),
            )
        return cleaned

    @classmethod
    def conditional(cls, values):
        missing = {}
        if values.get("systemic_option") == Answer.YES:
            missing.update(_need(values, "cerebral_response", CHOICE_REQUIRED))
        if (values.get("prognosis_months") is None and not values.get("prognosis_unknown")
                and not values.get("prognosis_over_3_months")):
            missing["prognosis_months"] = _(
                "Give the expected prognosis in months, or answer whether it is more than 3 "
                "months, or tick “prognosis unknown”."
            )
        return missing


class ClinicalForm(StepForm):
    required_fields = ("dexamethasone", "neuro_deficit", "epilepsy")
    show_when = {
        "dexamethasone_mg": "dexamethasone=yes",
        "neuro_deficit_detail": "neuro_deficit=yes",
        # Shown while a "yes" makes the patient symptomatic (triage.facts.symptomatic).
        **dict.fromkeys(SYMPTOMATIC_ONLY, "|".join(f"{name}=yes" for name in SYMPTOM_FIELDS)),
    }

    class Meta:
        model = Case
        fields = [
            "kps", "kps_unknown", "dexamethasone", "dexamethasone_mg", "neuro_deficit",
            "neuro_deficit_detail", "epilepsy", "rapid_kps_improvement", "qol_improvement",
        ]
        widgets = {"kps": NumberText(), "dexamethasone_mg": _decimal()}
        field_classes = {"dexamethasone_mg": DecimalCommaField}
        localized_fields = ("dexamethasone_mg",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kps_unknown") and cleaned.get("kps") is not None:
            self.add_error("kps", _("Give a KPS, or tick “KPS unknown” — not both."))
        if cleaned.get("dexamethasone") == Answer.NO and cleaned.get("dexamethasone_mg"):
            self.add_error(
                "dexamethasone_mg", _("A dose is given, but dexamethasone is answered “No”.")
            )
        return cleaned

    @classmethod
    def conditional(cls, values):
        missing = {}
        if values.get("kps") is None and not values.get("kps_unknown"):
            missing["kps"] = _("Give the KPS, or tick “KPS unknown”.")
        if values.get("dexamethasone") == Answer.YES and values.get("dexamethasone_mg") is None:
            missing["dexamethasone_mg"] = _("Give the current dose of dexamethasone in mg/day.")
        if values.get("neuro_deficit") == Answer.YES:
            missing.update(_need(values, "neuro_deficit_detail"))
        if symptomatic(values.get(name) for name in SYMPTOM_FIELDS):
            for name in SYMPTOMATIC_ONLY:
                missing.update(_need(values, name, ANSWER_REQUIRED))
        return missing


class ImagingForm(StepForm):
    required_fields = ("mri_date", "lesion_mode")
    show_when = {
        "largest_diameter_mm": "lesion_mode=many",
        "critical_location": "lesion_mode=many",
        "critical_location_site": "critical_location=yes",
    }

    class Meta:
        model = Case
        fields = [
            "mri_date", "lesion_mode", "largest_diameter_mm", "critical_location",
            "critical_location_site", "mass_effect", "oedema", "csf_obstruction_risk",
            "imaging_url", "accession_number",
        ]
        widgets = {"mri_date": DateInput(), "largest_diameter_mm": _decimal()}
        field_classes = {"largest_diameter_mm": DecimalCommaField, "imaging_url": WebLinkField}
        localized_fields = ("largest_diameter_mm",)

    select_fields = ("critical_location_site",)

    def __init__(self, *args, date_of_birth=None, **kwargs):
        self.date_of_birth = date_of_birth
        super().__init__(*args, **kwargs)

    def clean_mri_date(self):
        value = self.cleaned_data["mri_date"]
        if value and self.date_of_birth and value < self.date_of_birth:
            raise ValidationError(_("This date lies before the date of birth."), code="before_birth")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("critical_location") != Answer.YES and cleaned.get("critical_location_site"):
            self.add_error(
                "critical_location_site",
                _("A site is chosen, but critical location is not answered “Yes”."),
            )
        return cleaned

    @classmethod
    def conditional(cls, values):
        missing = {}
        if values.get("lesion_mode") == LesionMode.MANY:
            missing.update(_need(values, "critical_location", ANSWER_REQUIRED))
            if values.get("critical_location") == Answer.YES:
                missing.update(_need(values, "critical_location_site", CHOICE_REQUIRED))
        return missing


class LesionForm(forms.ModelForm):
    class Meta:
        model = Lesion
        fields = ["region", "side", "diameter_mm", "critical", "critical_site"]
        widgets = {
            "region": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "side": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "diameter_mm": _decimal({"class": "form-control form-control-sm"}),
            "critical": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "critical_site": forms.Select(attrs={"class": "form-select form-select-sm"}),
        }
        field_classes = {"diameter_mm": DecimalCommaField}
        localized_fields = ("diameter_mm",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("critical") and not cleaned.get("critical_site"):
            self.add_error("critical_site", _("Choose which critical location."))
        if not cleaned.get("critical") and cleaned.get("critical_site"):
            self.add_error(
                "critical_site", _("A site is chosen, but the lesion is not marked critical.")
            )
        return cleaned


class BaseLesionFormSet(forms.BaseInlineFormSet):
    def lesion_values(self):
        """The lesions as they should be after saving: dicts, with `id` for existing rows.

        A row with an error never holds back its neighbours: a stored one keeps its stored
        values, a new one is not stored yet; the valid rows (and removals) are stored.
        """
        return [values for form, values in self.stored_rows()]

    def stored_rows(self):
        """[(form, values)] in the order the rows are stored; see `lesion_values`."""
        rows = []
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.errors:
                if not form.instance.pk:
                    continue
                source = form.initial
            else:
                source = form.cleaned_data
            values = {name: source.get(name) for name in LesionForm._meta.fields}
            values["critical"] = bool(values["critical"])
            values["critical_site"] = values["critical_site"] or ""
            values["id"] = form.instance.pk
            rows.append((form, values))
        return rows

    def rows_can_be_stored(self):
        """False when the rows as a whole are in doubt: too many, or a row that names a stored
        lesion that is not there (stale or forged); then none is stored, none removed."""
        return not self.non_form_errors() and not any("id" in form.errors for form in self.forms)

    def rows_with_errors(self):
        """The rows not stored as typed: [(form, stored)], `stored` False for a new row."""
        return [(form, bool(form.instance.pk)) for form in self.forms
                if form.errors and not (self.can_delete and self._should_delete_form(form))]


LesionFormSet = forms.inlineformset_factory(
    Case, Lesion, form=LesionForm, formset=BaseLesionFormSet, extra=0, can_delete=True,
    # absolute_max: a forged TOTAL_FORMS builds at most 50 rows, not Django's default of 1,050.
    max_num=50, validate_max=True, absolute_max=50,
)


class QuestionsForm(StepForm):
    required_fields = (
        "radiotherapy_considered", "suspected_radionecrosis", "recurrence", "treatment_wish",
        "question_to_mdo",
    )

    class Meta:
        model = Case
        fields = [
            "radiotherapy_considered", "suspected_radionecrosis", "recurrence", "treatment_wish",
            "patient_wish", "question_to_mdo", "urgent", "urgent_reason",
        ]
        widgets = {"patient_wish": TEXTAREA, "question_to_mdo": TEXTAREA}

    @classmethod
    def conditional(cls, values) -> dict:
        # An urgent case says why: the neuro-oncologist decides on it first.
        return _need(values, "urgent_reason") if values.get("urgent") else {}
