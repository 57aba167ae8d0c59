"""Patients, cases (referrals to the neuro-oncology MDO) and their lesions.

The case holds every item the guideline (section 3) asks for; spec.md §5 lists them.
Clinical questions are answered yes / no / unknown ("onbekend"); an empty value means the
question has not been answered yet, which is not the same as unknown.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.template.defaultfilters import floatformat
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from referrals.lifecycle import EDITABLE_STATUSES, PRECONSULT_QUEUE, CaseStatus
from referrals.validators import validate_bsn, validate_not_future
from triage.validators import validate_kps


class ChoiceLabels:
    """get_<field>_display() without rebuilding the field's choices on every call.

    Django's Model._get_FIELD_display turns field.flatchoices into a new dict on every call (about
    30 µs); the printed agenda asks 20 of them per case, 600 for 30 cases (issue 17). The dict is
    built once per field here; its labels stay lazy, so each call still speaks the active language.
    """

    _choice_labels = {}

    def _get_FIELD_display(self, field):
        labels = ChoiceLabels._choice_labels.get(field)
        if labels is None:
            labels = ChoiceLabels._choice_labels[field] = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


def answer_field(verbose_name, help_text=""):
    return models.CharField(
        verbose_name, max_length=7, choices=Answer.choices, blank=True, help_text=help_text
    )


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / unknown")


class Patient(ChoiceLabels, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hospital = models.ForeignKey(
        "accounts.Hospital", verbose_name=_("hospital"), on_delete=models.PROTECT,
        related_name="patients",
    )
    patient_number = models.CharField(
        _("hospital patient number"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9-]*$",
                _("Use letters, digits and hyphens only."),
            )
        ],
    )
    family_name = models.CharField(_("family name"), max_length=100)
    given_names = models.CharField(_("given names or initials"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_not_future])
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    bsn = models.CharField(
        _("BSN"), max_length=9, blank=True, validators=[validate_bsn],
        help_text=_("Optional. Citizen service number, 9 digits."),
    )
    is_synthetic = models.BooleanField(_("synthetic test patient"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        # Searches by patient number ignore case (patient_number__iexact). The search by family
        # name (icontains) has a trigram index on PostgreSQL: migration 0004, not declared here.
        indexes = [models.Index(Upper("patient_number"), name="patient_number_upper")]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "patient_number"], name="patient_number_unique_per_hospital",
                violation_error_message=_("This hospital already has a patient with this number."),
            ),
            models.UniqueConstraint(
                fields=["hospital", "bsn"], condition=~Q(bsn=""),
                name="patient_bsn_unique_per_hospital",
                violation_error_message=_("This hospital already has a patient with this BSN."),
            ),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_names} ({self.patient_number})"

    @property
    def display_name(self):
        return f"{self.family_name}, {self.given_names}"


# The columns the case list and the pre-consultation queue show (with select_related of these
# relations): a case row has some sixty columns, mostly clinical text no list displays.
CASE_LIST_FIELDS = (
    "status", "created_at", "submitted_at", "meeting_ready", "patient_id", "mdo_centre_id",
    "patient__family_name", "patient__given_names", "patient__patient_number",
    "referring_hospital__name", "referring_physician__username",
    "referring_physician__first_name", "referring_physician__last_name",
    "current_advice__outcome", "outcome_in_force", "advice_source", "meeting_decisions", "urgent",
    "reentered_at",
)

class PresenterRole(models.TextChoices):
    TREATING_PHYSICIAN = "treating", _("Primary treating physician (hoofdbehandelaar)")
    NEUROLOGIST = "neurologist", _("Neurologist who knows the patient")
    NURSE_SPECIALIST = "nurse", _("Nurse specialist neuro-oncology")
    OTHER = "other", _("Other")


class PrimaryTumour(models.TextChoices):
    NSCLC = "nsclc", _("Non-small cell lung cancer")
    SCLC = "sclc", _("Small cell lung cancer")
    BREAST = "breast", _("Breast cancer")
    MELANOMA = "melanoma", _("Melanoma")
    RENAL = "renal", _("Renal cell carcinoma")
    COLORECTAL = "colorectal", _("Colorectal cancer")
    GYNAECOLOGICAL = "gynaecological", _("Gynaecological cancer")
    UNKNOWN_PRIMARY = "unknown_primary", _("Unknown primary")
    OTHER = "other", _("Other")


class ExtracranialStatus(models.TextChoices):
    STABLE = "stable", _("Stable")
    PROGRESSIVE = "progressive", _("Progressive")
    NONE = "none", _("No extracranial disease")
    UNKNOWN = "unknown", _("Unknown")


class SystemicLine(models.TextChoices):
    FIRST_LINE = "first", _("First line")
    SWITCH = "switch", _("Switch to a later line")


class ResponseChance(models.TextChoices):
    HIGH = "high", _("High")
    LOW = "low", _("Low")
    UNKNOWN = "unknown", _("Unknown")


class LesionMode(models.TextChoices):
    LIST = "list", _("Each lesion listed with its size")
    MANY = "many", _("Many or very small lesions: counting and measuring all is pointless")


class CriticalSite(models.TextChoices):
    BRAINSTEM = "brainstem", _("Brainstem")
    CEREBELLOPONTINE_ANGLE = "cerebellopontine_angle", _("Cerebellopontine angle")
    OPTIC_CHIASM_NERVE = "optic_chiasm_nerve", _("Near the optic chiasm or optic nerve")
    LANGUAGE_MOTOR_CORTEX = "language_motor_cortex", _("Near the language area or motor cortex")
    VENTRICULAR_SYSTEM = "ventricular_system", _(
        "Near the ventricular system (3rd/4th ventricle), risk of CSF obstruction"
    )
    OTHER = "other", _("Other critical location")


class AdviceSource(models.TextChoices):
    """Where the advice in force came from: the path triage → pre-consultation → meeting."""

    TRIAGE = "triage", _("Triage")
    ACCEPTED = "accepted", _("Pre-consultation: triage advice accepted")
    OVERRIDDEN = "overridden", _("Pre-consultation: triage advice overridden")
    MEETING = "meeting", _("Advice of the MDT")


class Case(ChoiceLabels, models.Model):
    """One referral of a patient to the neuro-oncology MDO (a patient may have several)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="cases"
    )
    referring_hospital = models.ForeignKey(
        "accounts.Hospital", verbose_name=_("referring hospital"), on_delete=models.PROTECT,
        related_name="referred_cases",
    )
    mdo_centre = models.ForeignKey(
        "accounts.Hospital", verbose_name=_("MDT centre"), on_delete=models.PROTECT,
        related_name="centre_cases",
    )
    referring_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referring physician"),
        on_delete=models.PROTECT, related_name="referred_cases",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT
    )
    # Sent with the first intake page, so a double-clicked or replayed first save creates one draft.
    intake_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Optimistic locking: every save increments it; a save based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    completed_steps = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # What the meeting still needs (triage.readiness), computed at every (re)submission.
    meeting_gaps = models.JSONField(default=list, blank=True)
    meeting_ready = models.BooleanField(_("information complete for the meeting"), default=False)
    # The advice in force: the newest one stored (triage.services.advice_store sets it).
    current_advice = models.ForeignKey(
        "triage.Advice", verbose_name=_("advice"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    # The decision that counts now, kept with the case so every list shows it without a join:
    # the triage outcome, or the pre-consultation's (accepted / overridden), and the meeting's
    # decisions once its advice is recorded. Set only by the transitions that make it (submit,
    # accept_advice, override_advice, record/correct advice); casefile.in_force tells the path.
    outcome_in_force = models.CharField(_("advice in force"), max_length=40, blank=True)
    advice_source = models.CharField(_("advice from"), max_length=12, choices=AdviceSource.choices, blank=True)
    meeting_decisions = models.JSONField(_("decisions of the MDT"), default=list, blank=True)
    # The latest request for information of pre-consultation, kept with the case so the intake can
    # show it: {"message", "by", "at", "steps": [intake step keys], "answer", "answered_at"}. Set by
    # request_info, answered by the resubmission; the pre-consultation record keeps the message too.
    info_request = models.JSONField(_("request for information"), default=dict, blank=True)
    # What a FHIR import (interop.importing) pre-filled and the referrer has not yet checked:
    # {intake step key: [field names]}. A step listed here does not count as answered until the
    # referrer saves it (referrals.intake.IMPORTED_UNCHECKED); its save takes it off the list.
    imported_fields = models.JSONField(_("imported, not yet checked"), default=dict, blank=True)
    # Set by the withdrawal (meetings.services.case_withdraw), shown on the case page.
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True, max_length=2000)
    # Submitted again after a re-evaluation of a closed case (followup.services.reevaluation_record).
    reentered_at = models.DateTimeField(_("re-entered"), null=True, blank=True)

    # Step 1: presenter
    presenter_role = models.CharField(
        _("who presents the patient in the MDT"), max_length=12,
        choices=PresenterRole.choices, blank=True,
    )
    presenter_name = models.CharField(_("name of the presenter"), max_length=150, blank=True)
    systemic_activity_discussed = answer_field(
        _("systemic disease activity discussed with the treating physician beforehand"),
        _("The guideline asks the presenter to discuss the systemic disease activity with the "
          "treating physician before the meeting."),
    )

    # Step 2: oncological history
    primary_tumour = models.CharField(
        _("primary tumour"), max_length=20, choices=PrimaryTumour.choices, blank=True
    )
    primary_tumour_other = models.CharField(_("other primary tumour"), max_length=200, blank=True)
    primary_diagnosis_date = models.DateField(
        _("date of diagnosis of the primary tumour"), null=True, blank=True,
        validators=[validate_not_future],
    )
    molecular_markers = models.TextField(
        _("histology and molecular markers"), blank=True, max_length=2000,
        help_text=_("For example: adenocarcinoma, PD-L1 80%, HER2 negative."),
    )
    driver_mutation = answer_field(_("driver mutation present"))
    driver_mutation_detail = models.CharField(
        _("which driver mutation"), max_length=200, blank=True,
        help_text=_("For example: EGFR exon 19 deletion, ALK, ROS1, BRAF V600E."),
    )
    prior_treatment_lines = models.TextField(
        _("earlier lines of treatment"), blank=True, max_length=4000
    )
    prior_brain_metastases = answer_field(_("earlier brain metastases"))
    prior_bm_treatment = models.TextField(
        _("treatment of the earlier brain metastases"), blank=True, max_length=4000
    )
    prior_bm_effect = models.TextField(_("effect of that treatment"), blank=True, max_length=2000)
    prior_radiation_fields = models.TextField(
        _("radiation fields"), blank=True, max_length=2000,
        help_text=_("Earlier radiotherapy of the brain: technique, dose, which lesions."),
    )

    # Step 3: other history
    comorbidity_relevant = answer_field(
        _("comorbidity relevant for surgery or systemic treatment")
    )
    comorbidity = models.TextField(_("comorbidity"), blank=True, max_length=4000)
    anticoagulation = answer_field(_("anticoagulation"))
    anticoagulation_detail = models.CharField(
        _("which anticoagulant and dose"), max_length=200, blank=True
    )

    # Step 4: extracranial disease and prognosis
    extracranial_status = models.CharField(
        _("extracranial disease"), max_length=12, choices=ExtracranialStatus.choices, blank=True
    )
    systemic_option = answer_field(
        _("option to start or switch systemic therapy"),
        _("First line, or a switch to a later line."),
    )
    systemic_line = models.CharField(
        _("line of systemic therapy"), max_length=6, choices=SystemicLine.choices, blank=True
    )
    cerebral_response = models.CharField(
        _("expected chance of cerebral response"), max_length=7,
        choices=ResponseChance.choices, blank=True,
    )
    prognosis_months = models.DecimalField(
        _("expected prognosis (months)"), max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(240)],
        help_text=_("Based on the extracranial disease, as estimated by the treating physician."),
    )
    prognosis_unknown = models.BooleanField(_("prognosis unknown"), default=False)
    # The guideline's own question (spec §4), for when no number of months is known.
    prognosis_over_3_months = answer_field(
        _("expected prognosis more than 3 months"),
        _("When no number of months can be given."),
    )

    # Step 5: clinical status
    kps = models.PositiveSmallIntegerField(
        _("KPS"), null=True, blank=True, validators=[validate_kps],
        help_text=_("Karnofsky Performance Status now, 0-100 in steps of 10."),
    )
    kps_unknown = models.BooleanField(_("KPS unknown"), default=False)
    dexamethasone = answer_field(_("uses dexamethasone"))
    dexamethasone_mg = models.DecimalField(
        _("dexamethasone dose (mg/day)"), max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(64)],
    )
    neuro_deficit = answer_field(_("neurological deficit"))
    neuro_deficit_detail = models.CharField(_("which deficit"), max_length=300, blank=True)
    epilepsy = answer_field(_("epilepsy (seizures)"))
    rapid_kps_improvement = answer_field(
        _("chance of rapid KPS improvement by treatment"),
        _("For example resection of a lesion in the posterior fossa, or targeted therapy with a "
          "rapid response."),
    )
    qol_improvement = answer_field(
        _("could local treatment clearly improve quality of life"),
        _("Asked of symptomatic patients (neurological deficit or epilepsy) only."),
    )

    # Step 6: imaging and lesions
    mri_date = models.DateField(
        _("date of the MRI"), null=True, blank=True, validators=[validate_not_future]
    )
    lesion_mode = models.CharField(
        _("lesions"), max_length=4, choices=LesionMode.choices, blank=True
    )
    largest_diameter_mm = models.DecimalField(
        _("largest diameter (mm), if known"), max_digits=4, decimal_places=1, null=True, blank=True,
        help_text=_("With many or very small lesions: the largest one, if measured."),
        validators=[MinValueValidator(1), MaxValueValidator(150)],
    )
    critical_location = answer_field(
        _("critical location"),
        _("With many or very small lesions: is any of them in a critical location? (With a list, "
          "mark each lesion.)"),
    )
    critical_location_site = models.CharField(
        _("which critical location"), max_length=30, choices=CriticalSite.choices, blank=True
    )
    # What the guideline's notes ask the meeting to weigh (Appendix 1 notes 2 and 3, Appendix 2
    # note 3): information for the discussion, not questions of the flowcharts.
    mass_effect = answer_field(
        _("mass effect"), _("Local pressure or mass effect, which a resection may relieve (Appendix 2, note 3)."))
    oedema = answer_field(
        _("relevant oedema"), _("The amount of oedema weighs in the choice of local treatment (Appendix 1, note 3)."))
    csf_obstruction_risk = answer_field(
        _("risk of CSF obstruction (hydrocephalus)"),
        _("Near the ventricular system, especially the third or fourth ventricle (Appendix 1, note 2)."))

    # Where the meeting looks at the images: the hospital's viewer or PACS, and the study's
    # accession number. Optional; only http(s) links (a javascript: or file: link is refused).
    imaging_url = models.URLField(
        _("link to the images (viewer or PACS)"), max_length=500, blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Optional: a link to the study in your hospital's image viewer or PACS (http or https)."),
    )
    accession_number = models.CharField(
        _("accession number"), max_length=64, blank=True,
        help_text=_("Optional: the accession number of the MRI study."),
    )

    # Step 7: questions for the MDO
    radiotherapy_considered = answer_field(
        _("(stereotactic) radiotherapy is being considered"),
        _("Since 1 July 2025 such a patient must first be discussed in the neuro-oncology MDT."),
    )
    suspected_radionecrosis = answer_field(
        _("suspected radiation necrosis after stereotactic radiotherapy")
    )
    recurrence = answer_field(_("recurrence or new brain metastases"))
    treatment_wish = answer_field(_("the patient wishes treatment"))
    patient_wish = models.TextField(_("the patient's wish"), blank=True, max_length=2000)
    question_to_mdo = models.TextField(_("question to the MDT"), blank=True, max_length=2000)
    # Urgency ("met spoed of electief", guideline section 1): first in the queue, marked on the agenda.
    urgent = models.BooleanField(
        _("urgent"), default=False,
        help_text=_("For example threatening neurological deterioration or hydrocephalus: the case comes "
                    "first in the pre-consultation queue and is marked on the agenda."))
    urgent_reason = models.CharField(_("reason for urgency"), max_length=300, blank=True)

    history = HistoricalRecords(excluded_fields=["completed_steps", "current_advice", "intake_token", "meeting_gaps",
                                                 "info_request", "imported_fields"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        permissions = [
            ("refer_case", _("Can refer cases of their own hospital")),
            ("preconsult_case", _("Can do the pre-consultation of cases of their MDT centre")),
        ]
        indexes = [
            models.Index(fields=["referring_hospital", "-created_at"], name="case_hospital_created"),
            # A referring hospital's cases in one status: the case list's status filter and its
            # notice of advices without implementation (followup.presenters), which otherwise read
            # every centre's cases in that status.
            models.Index(fields=["referring_hospital", "status"], name="case_hospital_status"),
            models.Index(fields=["mdo_centre", "status", "submitted_at"], name="case_centre_queue"),
            # The pre-consultation queue (meetings.views.preconsult): a centre's cases in these
            # statuses, urgent ones first, then longest waiting (SORTS["waiting"]). Read in index
            # order, its first page stops after 25 rows instead of sorting the whole queue
            # (docs/performance.md).
            models.Index(fields=["mdo_centre", "-urgent", "submitted_at", "id"], name="case_queue_waiting",
                         condition=Q(status__in=[str(status) for status in PRECONSULT_QUEUE])),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kps__isnull=True) | Q(kps__in=list(range(0, 101, 10))),
                name="case_kps_0_100_step_10",
            ),
            models.CheckConstraint(
                condition=Q(dexamethasone_mg__isnull=True)
                | (Q(dexamethasone_mg__gte=0) & Q(dexamethasone_mg__lte=64)),
                name="case_dexamethasone_range",
            ),
            models.CheckConstraint(
                condition=Q(largest_diameter_mm__isnull=True)
                | (Q(largest_diameter_mm__gte=1) & Q(largest_diameter_mm__lte=150)),
                name="case_largest_diameter_range",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="case_version_positive",
            ),
        ]

    def __str__(self):
        return f"{self.patient} — {self.created_at:%Y-%m-%d}" if self.created_at else str(self.pk)

    @property
    def reference(self):
        """A short neutral reference (MDO-1A2B3C4D) from the UUID: used in e-mail, where no patient
        data may appear, and shown on the case page so the two can be matched."""
        return f"MDO-{self.pk.hex[:8].upper()}"

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def status_label(self):
        # get_status_display() builds a dict of all choices on every call; lists show 25-30.
        return CaseStatus(self.status).label



def reference_id_range(text):
    """The (lowest, highest) case id whose reference (Case.reference) is `text` ("MDO-1A2B3C4D",
    with or without "MDO-", any case), or None if it is no reference. A range, so the search uses
    the primary key's index on every database."""
    text = text.strip().upper().removeprefix("MDO-")
    if len(text) != 8 or any(char not in "0123456789ABCDEF" for char in text):
        return None
    return uuid.UUID(text + "0" * 24), uuid.UUID(text + "F" * 24)


class LesionRegion(models.TextChoices):
    FRONTAL = "frontal", _("Frontal lobe")
    PARIETAL = "parietal", _("Parietal lobe")
    TEMPORAL = "temporal", _("Temporal lobe")
    OCCIPITAL = "occipital", _("Occipital lobe")
    INSULA = "insula", _("Insula")
    BASAL_GANGLIA_THALAMUS = "basal_ganglia", _("Basal ganglia / thalamus")
    CORPUS_CALLOSUM = "corpus_callosum", _("Corpus callosum")
    CEREBELLUM = "cerebellum", _("Cerebellum")
    BRAINSTEM = "brainstem", _("Brainstem")
    VENTRICLE = "ventricle", _("Ventricle")
    DURA = "dura", _("Dura / leptomeninges")
    OTHER = "other", _("Other")


class Side(models.TextChoices):
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    MIDLINE = "midline", _("Midline")


class Lesion(ChoiceLabels, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lesions")
    position = models.PositiveSmallIntegerField(default=0)
    region = models.CharField(_("location"), max_length=20, choices=LesionRegion.choices)
    side = models.CharField(_("side"), max_length=7, choices=Side.choices)
    diameter_mm = models.DecimalField(
        _("largest diameter (mm)"), max_digits=4, decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(150)],
    )
    critical = models.BooleanField(_("critical location"), default=False)
    critical_site = models.CharField(
        _("which critical location"), max_length=30, choices=CriticalSite.choices, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lesion")
        verbose_name_plural = _("lesions")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(diameter_mm__gt=0) & Q(diameter_mm__lte=150),
                name="lesion_diameter_range",
            ),
            models.CheckConstraint(
                condition=Q(critical=True) | Q(critical_site=""),
                name="lesion_site_only_when_critical",
            ),
        ]

    def __str__(self):
        return f"{self.get_region_display()} {self.get_side_display()} {floatformat(self.diameter_mm, -1)} mm"
