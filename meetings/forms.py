import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital, Role, User
from meetings.models import AttendanceMode, ClosedForum, Decision, FollowUp, Meeting
from referrals.forms import DateInput
from referrals.intake import FORM_STEPS
from referrals.models import CaseStatus
from triage.codes import Discipline
from triage.engine import OUTCOMES
from triage.presenters import outcome_context

TEXTAREA = forms.Textarea(attrs={"rows": 3})
MAX_DAYS_AHEAD = 5 * 366


def outcome_choices():
    return [(code, outcome_context(code)["label"]) for code in OUTCOMES]


class QueueFilterForm(forms.Form):
    SORTS = [
        ("waiting", _("Longest waiting first")),
        ("recent", _("Most recent first")),
        ("patient", _("Patient name")),
        ("hospital", _("Referring hospital")),
        ("outcome", _("Advice")),
    ]
    q = forms.CharField(label=_("Name or patient number"), required=False, max_length=100)
    outcome = forms.ChoiceField(label=_("Advice"), required=False)
    hospital = forms.ChoiceField(label=_("Referring hospital"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    complete = forms.ChoiceField(label=_("Complete"), required=False,
                                 choices=[("", _("All")), ("yes", _("Complete")), ("no", _("Incomplete"))])
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args, hospitals=(), statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", _("All advice"))] + outcome_choices()
        self.fields["hospital"].choices = [("", _("All hospitals"))] + [(str(h.pk), h.name) for h in hospitals]
        labels = dict(CaseStatus.choices)
        self.fields["status"].choices = [("", _("All statuses"))] + [(s, labels[s]) for s in statuses]


class OverrideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome after pre-consultation"))
    reason = forms.CharField(label=_("Reason"), widget=TEXTAREA, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcome_choices()


class AcceptForm(forms.Form):
    reason = forms.CharField(label=_("Remark (optional)"), widget=TEXTAREA, max_length=2000, required=False)


class RequestInfoForm(forms.Form):
    message = forms.CharField(label=_("Which information is needed"), widget=TEXTAREA, max_length=4000)
    steps = forms.MultipleChoiceField(
        label=_("Steps of the intake it concerns"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(step.key, step.label) for step in FORM_STEPS],
        help_text=_("Marked for the referrer in the intake, until they save those steps again."))


class CloseForm(forms.Form):
    closed_forum = forms.ChoiceField(label=_("Goes to"), choices=ClosedForum.choices)
    reason = forms.CharField(label=_("Reason"), widget=TEXTAREA, max_length=2000)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawal"), widget=TEXTAREA, max_length=2000,
                             help_text=_("Shown on the case page to the neuro-oncologists."))


class ScheduleForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=Meeting.objects.none())

    def __init__(self, *args, meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings if meetings is not None else Meeting.objects.none()


class MeetingForm(forms.ModelForm):
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https",
                                help_text=_("For participants of the regional MDT who join by video."))
    weeks = forms.IntegerField(
        label=_("Weekly series: number of meetings"), min_value=1, max_value=52, initial=1,
        help_text=_("1 for a single meeting; more creates the same meeting every week."),
    )

    class Meta:
        model = Meeting
        fields = ["date", "start_time", "location", "video_link", "capacity_cases", "capacity_minutes",
                  "minutes_per_case", "chair"]
        widgets = {"date": DateInput(), "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, centre, with_series=True, **kwargs):
        """`centre`: the MDO centre of the meeting; None lets the user choose it (an administrator,
        who belongs to no hospital). A chair creates for their own centre and gets no such field."""
        super().__init__(*args, **kwargs)
        chairs = User.objects.filter(role=Role.CHAIR, is_active=True)
        if centre is None:
            self.fields["centre"] = forms.ModelChoiceField(
                label=_("MDT centre"), queryset=Hospital.objects.filter(is_mdo_centre=True),
                error_messages={"required": _("Choose the MDT centre of the meeting."),
                                "invalid_choice": _("Choose one of the MDT centres in the list.")},
            )
            self.order_fields(["centre"])
            self.fields["chair"] = ChairField(
                label=self.fields["chair"].label, required=False,
                queryset=chairs.filter(hospital__is_mdo_centre=True).select_related("hospital"),
                help_text=_("A chair of the MDT centre chosen above."),
            )
        else:
            self.fields["chair"].queryset = chairs.filter(hospital=centre)
        if not with_series:
            del self.fields["weeks"]
        if self.instance._state.adding:
            # The region's usual time per case (settings: MDO_DEFAULT_MINUTES_PER_CASE).
            self.fields["minutes_per_case"].initial = settings.MDO_DEFAULT_MINUTES_PER_CASE

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value and value < timezone.localdate() and self.instance._state.adding:
            raise forms.ValidationError(_("A new meeting cannot lie in the past."))
        # Also keeps a weekly series from running past the last date Python knows (9999-12-31).
        if value and value > timezone.localdate() + datetime.timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(_("A meeting cannot lie more than five years ahead."))
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("capacity_cases") and not cleaned.get("capacity_minutes"):
            self.add_error("capacity_cases", _("Give a capacity: a number of cases or of minutes."))
        centre, chair = cleaned.get("centre"), cleaned.get("chair")
        if "centre" in self.fields and centre and chair and chair.hospital_id != centre.pk:
            self.add_error("chair", _("%(chair)s is not a chair of %(centre)s.") % {"chair": chair, "centre": centre})
        return cleaned


class ChairField(forms.ModelChoiceField):
    """The chairs of every MDO centre, each with their centre (for an administrator)."""

    def label_from_instance(self, obj):
        return f"{obj} ({obj.hospital})"


class AttendanceForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Participant with an account"), queryset=User.objects.none(),
                                  required=False)
    name = forms.CharField(label=_("or name"), max_length=150, required=False)
    discipline = forms.ChoiceField(label=_("Discipline"), choices=Discipline.choices)
    mode = forms.ChoiceField(label=_("Present"), choices=AttendanceMode.choices, widget=forms.RadioSelect,
                             initial=AttendanceMode.ON_SITE)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["user"].queryset = candidates

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and not cleaned.get("name", "").strip():
            self.add_error("name", _("Choose a participant or type a name."))
        if cleaned.get("user") and cleaned.get("name", "").strip():
            self.add_error("name", _("Choose a participant or type a name, not both."))
        return cleaned


class PresenceForm(forms.Form):
    # No answer chosen beforehand: the presence is a condition of the advice, so it is picked, not
    # saved by accident.
    present = forms.ChoiceField(
        label=_("Treating physician present"),
        choices=[("", "---------"), ("yes", _("Yes, the treating physician")),
                 ("representative", _("A representative who knows the history")), ("no", _("No"))],
    )
    representative_name = forms.CharField(label=_("Name of the representative"), max_length=150, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("present") == "representative" and not cleaned.get("representative_name"):
            self.add_error("representative_name", _("Give the name of the representative."))
        return cleaned


class MoveForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Move to"), queryset=Meeting.objects.none())

    def __init__(self, *args, meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings if meetings is not None else Meeting.objects.none()


class CancelMeetingForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)
    move_to = forms.ModelChoiceField(
        label=_("Move its cases to"), queryset=Meeting.objects.none(), required=False,
        empty_label=_("— none: take them off the agenda —"),
        help_text=_("The referrers are told by e-mail, in either case."))

    def __init__(self, *args, meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = meetings if meetings is not None else Meeting.objects.none()


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason for removal"), max_length=500)


class MeetingAdviceForm(forms.Form):
    # The presence of the treating physician is a condition of the advice (guideline section 2):
    # asked here, first, so that an advice is never refused for a field on another page.
    present = forms.ChoiceField(
        label=_("Treating physician present"), widget=forms.RadioSelect,
        choices=[choice for choice in PresenceForm.base_fields["present"].choices if choice[0]],
        help_text=_("The treating physician, or a representative who knows the history, is present when "
                    "the patient is discussed (guideline section 2)."),
    )
    representative_name = forms.CharField(label=_("Name of the representative"), max_length=150, required=False)
    decisions = forms.MultipleChoiceField(label=_("Advice of the meeting"), choices=Decision.choices,
                                          widget=forms.CheckboxSelectMultiple)
    text = forms.CharField(label=_("Advice in words"), widget=TEXTAREA, max_length=4000, required=False)
    follow_up = forms.ChoiceField(label=_("Follow-up"), choices=FollowUp.choices, widget=forms.RadioSelect)
    follow_up_text = forms.CharField(label=_("Follow-up details"), max_length=500, required=False)
    carried_out_by = forms.CharField(label=_("Carried out by"), max_length=200,
                                     help_text=_("Who carries out the advice (department, hospital)."))
    first_contact = forms.CharField(
        label=_("First point of contact for the patient"), max_length=200,
        help_text=_("The patient must always know who to contact with complaints."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("present") == "representative" and not cleaned.get("representative_name"):
            self.add_error("representative_name", _("Give the name of the representative."))
        return cleaned


def preconsult_form(key, form_class, data=None):
    """A pre-consultation action form with ids of its own: the case page shows all four at once,
    and three have a field `reason` (one id for three fields broke their labels)."""
    return form_class(data, auto_id=f"id_{key}_%s")
