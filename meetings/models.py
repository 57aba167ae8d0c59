"""Pre-consultation decisions, MDO meetings, their agenda, attendance and the meeting's advice."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Role
from triage.codes import Decision, Discipline, FollowUp
from triage.models import OUTCOME_CHOICES
from triage.quorum import missing_disciplines, needs_quorum


class PreconsultAction(models.TextChoices):
    ACCEPT = "accept", _("Advice accepted")
    OVERRIDE = "override", _("Advice overridden")
    REQUEST_INFO = "request_info", _("Information requested")
    CLOSE = "close", _("Closed: not for the neuro-oncology MDT")


class ClosedForum(models.TextChoices):
    ORGAN_SPECIFIC = "organ_specific", _("Tumour-type MDT")
    TREATING_PHYSICIAN = "treating_physician", _("Treating physician, no MDT")
    NEUROLOGY_OUTPATIENT = "neurology", _("Neurology outpatient clinic")
    SUPPORTIVE_CARE = "supportive", _("Best supportive care")
    OTHER = "other", _("Other")


class Preconsultation(models.Model):
    """One action of the neuro-oncologist in pre-consultation, with its reason. Append-only:
    a later action supersedes, never rewrites, an earlier one."""

    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, related_name="preconsultations")
    advice = models.ForeignKey("triage.Advice", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("triage advice reviewed"))
    action = models.CharField(_("action"), max_length=12, choices=PreconsultAction.choices)
    outcome = models.CharField(_("outcome after pre-consultation"), max_length=40,
                               choices=OUTCOME_CHOICES, blank=True)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    closed_forum = models.CharField(_("goes to"), max_length=20, choices=ClosedForum.choices,
                                    blank=True)
    message = models.TextField(_("message to the referrer"), max_length=4000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pre-consultation")
        verbose_name_plural = _("pre-consultations")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d})"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Closed")
    # Set only by meetings.services.meeting_cancel, which moves or releases its cases first.
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    centre = models.ForeignKey("accounts.Hospital", verbose_name=_("MDT centre"),
                               on_delete=models.PROTECT, related_name="meetings")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"))
    location = models.CharField(_("location"), max_length=200)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    video_link = models.URLField(_("video link"), blank=True,
                                 help_text=_("For participants of the regional MDT who join by video."))
    capacity_cases = models.PositiveSmallIntegerField(
        _("capacity (number of cases)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    capacity_minutes = models.PositiveSmallIntegerField(
        _("capacity (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text=_("Instead of a number of cases: the length of the meeting in minutes."),
    )
    minutes_per_case = models.PositiveSmallIntegerField(
        _("minutes per case"), default=10, validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chair"),
                              on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=MeetingStatus.choices,
                              default=MeetingStatus.PLANNED)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("MDT meeting")
        verbose_name_plural = _("MDT meetings")
        ordering = ["date", "start_time"]
        permissions = [
            ("manage_meetings", _("Can create and manage MDT meetings")),
            ("schedule_case", _("Can place cases on an MDT agenda")),
            ("record_meeting_advice", _("Can register attendance and record the meeting's advice")),
        ]
        indexes = [models.Index(fields=["centre", "date"], name="meeting_centre_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_cases__isnull=False) | Q(capacity_minutes__isnull=False),
                name="meeting_has_capacity",
                violation_error_message=_("Give a capacity: a number of cases or of minutes."),
            ),
        ]

    def __str__(self):
        # In the reader's language (MDO / MDT); the date in the Dutch order in both.
        return gettext("MDT %(date)s %(time)s") % {"date": f"{self.date:%d-%m-%Y}",
                                                   "time": f"{self.start_time:%H:%M}"}

    @property
    def starts_at(self):
        """The start of the meeting, an aware datetime in the project's time zone."""
        return timezone.make_aware(datetime.datetime.combine(self.date, self.start_time))

    @property
    def has_started(self):
        return timezone.now() >= self.starts_at

    @property
    def capacity_in_cases(self):
        """The number of cases that fit (minutes are converted with the minutes per case)."""
        if self.capacity_cases is not None:
            return self.capacity_cases
        if self.capacity_minutes is None or not self.minutes_per_case:
            return 0
        return self.capacity_minutes // self.minutes_per_case

    def clean(self):
        super().clean()
        if self.capacity_cases is None and self.capacity_minutes and self.minutes_per_case \
                and self.capacity_in_cases < 1:
            raise ValidationError({"capacity_minutes": _(
                "In these minutes not one case fits (%(n)s minutes per case).") % {"n": self.minutes_per_case}})
        # Who may create a meeting for which centre is the view's business; that a new meeting
        # belongs to an MDO centre and is chaired by one of its chairs holds for every meeting.
        if self._state.adding and self.centre_id is not None and not self.centre.is_mdo_centre:
            raise ValidationError({"centre": _("This hospital is not an MDT centre.")})
        if self.chair_id is not None and self.centre_id is not None and (
                self.chair.hospital_id != self.centre_id or self.chair.role != Role.CHAIR):
            raise ValidationError({"chair": _("Choose a chair of this meeting's MDT centre.")})


class AgendaItem(models.Model):
    """A case on a meeting's agenda. Removal keeps the row (with the reason) for the timeline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Set when the meeting's advice for this item is first recorded: the item stays on the
    # meeting's agenda and minutes, and the case may be placed on a later meeting again (an
    # advice "discuss again").
    discussed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(_("reason for removal"), max_length=500, blank=True)
    treating_physician_present = models.CharField(
        _("treating physician present"), max_length=14, blank=True,
        choices=[("yes", _("Yes, the treating physician")),
                 ("representative", _("A representative who knows the history")),
                 ("no", _("No"))],
    )
    representative_name = models.CharField(_("name of the representative"), max_length=150,
                                           blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "added_at"]
        constraints = [
            # A case waits on at most one agenda at a time.
            models.UniqueConstraint(fields=["case"],
                                    condition=Q(removed_at__isnull=True, discussed_at__isnull=True),
                                    name="case_on_one_agenda"),
        ]
        indexes = [models.Index(fields=["meeting", "removed_at", "position"], name="agenda_meeting")]

    def __str__(self):
        return f"{self.meeting} #{self.position}"


class AttendanceMode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    VIDEO = "video", _("By video")


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+", verbose_name=_("participant"))
    name = models.CharField(_("name"), max_length=150, blank=True,
                            help_text=_("For a participant without an account."))
    discipline = models.CharField(_("discipline"), max_length=30, choices=Discipline.choices)
    mode = models.CharField(_("present"), max_length=8, choices=AttendanceMode.choices,
                            default=AttendanceMode.ON_SITE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["discipline", "name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], condition=Q(user__isnull=False),
                                    name="attendance_user_once"),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(name=""),
                                   name="attendance_user_or_name"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return str(self.user) if self.user_id else self.name


class MeetingAdvice(models.Model):
    """The advice of the meeting for one agenda item; and, later, the plan agreed with the patient."""

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="advice")
    decisions = models.JSONField(_("advice"), default=list, blank=True)
    text = models.TextField(_("advice in words"), max_length=4000, blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=14, choices=FollowUp.choices)
    follow_up_text = models.CharField(_("follow-up details"), max_length=500, blank=True)
    carried_out_by = models.CharField(_("carried out by"), max_length=200,
                                      help_text=_("Who carries out the advice (department, hospital)."))
    first_contact = models.CharField(_("first point of contact for the patient"), max_length=200)
    present_disciplines = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)
    plan_agreed_on = models.DateField(_("plan discussed with the patient on"), null=True, blank=True)
    plan_agreed = models.TextField(_("what was agreed with the patient"), max_length=4000, blank=True)
    plan_agreed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+")
    # Read from `decisions` and `present_disciplines` at every save (`derive`), for the quality
    # dashboard's law figures: a boolean column instead of text matches on every advice's JSON.
    includes_radiotherapy = models.BooleanField(default=False, editable=False)
    quorum_present = models.BooleanField(default=False, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("advice of the meeting")
        verbose_name_plural = _("advice of the meeting")
        indexes = [
            # The exceptions to the legal quorum (quality.figures.law): none, or a handful.
            models.Index(fields=["item"], name="advice_radiotherapy_no_quorum",
                         condition=Q(includes_radiotherapy=True, quorum_present=False)),
        ]

    def __str__(self):
        return ", ".join(self.decision_labels)

    def save(self, *args, **kwargs):
        self.derive()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "includes_radiotherapy", "quorum_present"}
        super().save(*args, **kwargs)

    def derive(self):
        """Set the columns read from the decisions and the disciplines present (triage.quorum)."""
        self.includes_radiotherapy = needs_quorum(self.decisions or ())
        self.quorum_present = not missing_disciplines(self.present_disciplines or ())

    @property
    def decision_labels(self):
        labels = dict(Decision.choices)
        return [str(labels.get(code, code)) for code in self.decisions]


class AdviceReport(models.Model):
    """One version of the MDO report ("MDO-verslag") of a meeting advice, for the referring
    hospital's record. Written in the transaction that records or corrects the advice
    (meetings.services.meeting_advice_record): version 1 with the advice, one more with each
    correction. `content` is what the report says, frozen then (meetings.report.snapshot): the
    report of a version never changes when the case, the attendance or the advice is changed
    later. The plan agreed with the patient is no correction and makes no version."""

    advice = models.ForeignKey(MeetingAdvice, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveSmallIntegerField()
    content = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The letter for the patient, made on the referrer's request (meetings.services.patient_letter_request).
    letter_requested_at = models.DateTimeField(null=True, blank=True)
    letter_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")

    class Meta:
        verbose_name = _("MDT report")
        verbose_name_plural = _("MDT reports")
        ordering = ["advice", "version"]
        constraints = [
            models.UniqueConstraint(fields=["advice", "version"], name="advice_report_version_once"),
        ]

    def __str__(self):
        return f"{self.advice_id} v{self.version}"


class PdfKind(models.TextChoices):
    AGENDA = "agenda", _("Agenda")
    MINUTES = "minutes", _("Minutes")


class PdfRender(models.Model):
    """The current version of one printed document of a meeting (agenda or minutes, in one
    language) and the queue of its renders (meetings/pdfs.py): `version` goes up, in the
    transaction of the change, whenever something the document shows changes; the worker
    (`manage.py render_pdfs`) renders while `rendered_version` is behind it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=PdfKind.choices)
    language = models.CharField(max_length=10)
    version = models.PositiveIntegerField(default=1)
    rendered_version = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)
    # A worker that takes a render holds it until then (a lease: a worker that died frees it).
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind", "language"], name="pdf_render_once"),
        ]
        indexes = [models.Index(fields=["changed_at"], name="pdf_render_changed")]

    def __str__(self):
        return f"{self.meeting_id} {self.kind} {self.language} v{self.version} (made v{self.rendered_version})"

    @property
    def pending(self):
        return self.rendered_version < self.version


class MeetingPdf(models.Model):
    """A rendered agenda or minutes: the file of one version (PdfRender.version) of the document.
    `content_hash` is the SHA-256 of the HTML it was made from (without its time of making): a
    change that alters nothing on paper takes the file on to the new version without a render."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=PdfKind.choices)
    language = models.CharField(max_length=10)
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    layout = models.CharField(max_length=16)  # meetings.pdfs.layout(): the templates it was made with
    pdf = models.BinaryField()
    # The cases in the file: its download is logged per case (NEN 7513).
    case_ids = models.JSONField(default=list)
    render_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind", "language", "version"], name="meeting_pdf_version_once"),
        ]

    def __str__(self):
        return f"{self.meeting_id} {self.kind} {self.language} v{self.version}"


class ReportPdf(models.Model):
    """The PDF of one version of an MDO report, or of its letter for the patient: that content is
    frozen (AdviceReport.content), so the file is made once (at the first download) and served
    from here after that, as long as the templates are those it was made with (`layout`)."""

    report = models.ForeignKey(AdviceReport, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10,
                            choices=[("report", _("MDT report")), ("letter", _("Letter for the patient"))])
    language = models.CharField(max_length=10)
    layout = models.CharField(max_length=16)
    pdf = models.BinaryField()
    render_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind", "language", "layout"], name="report_pdf_once"),
        ]

    def __str__(self):
        return f"{self.report_id} {self.kind} {self.language}"
