"""The case timeline: every action and every change on a case, in order.

Two sources are merged. The action log (`audit.Event`) says what was done: "case submitted",
"information requested". The history (django-simple-history, plus the append-only
pre-consultation records and the stored triage advices) says what changed: KPS 80 → 60.

A service function writes its history first and its event last, in one transaction, so a change
belongs to the first event after it by the same user, a few seconds later at most; among those,
the event about the same object wins (the case's own "created" event, not the patient's). A
change that matches no event (an edit in the admin, a test fixture) is shown on its own line.

Each source is fetched with one query, so the page costs the same for a long history as for a
short one.
"""

import datetime
from dataclasses import dataclass, field

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import Event
from followup.models import FollowedBy, FollowUpPlan, MriResult
from meetings.models import AgendaItem, Decision, MeetingAdvice, Preconsultation
from referrals.intake import STEPS_BY_KEY
from referrals.models import Lesion, Patient
from triage.codes import Discipline
from triage.engine import OUTCOMES
from triage.models import Advice
from triage.presenters import outcome_context, rule_set_words

# How long after a change its event may follow (they are written in the same transaction).
ATTACH_WINDOW = datetime.timedelta(seconds=5)
# The patient is saved just before the case in the transaction that creates the case.
PATIENT_MARGIN = datetime.timedelta(minutes=1)

# Fields whose changes say nothing to a reader (counters, timestamps, bookkeeping), or that
# the event or the page already shows (the case's patient, the agenda item's case).
SKIP = {
    "referrals.case": {"version", "updated_at", "completed_steps", "meeting_gaps", "patient"},
    "referrals.patient": {"updated_at", "hospital"},
    "referrals.lesion": {"case", "position"},
    "meetings.agendaitem": {"case", "added_by", "position", "removed_at", "removed_reason", "discussed_at"},
    "meetings.meetingadvice": {"item", "recorded_by", "recorded_at", "plan_agreed_by"},
}
# Shown as "BSN changed", never with the value.
HIDDEN = {"bsn"}
# Fields without a verbose name of their own.
FIELD_LABELS = {
    "meeting": gettext_lazy("MDT meeting"),
    "present_disciplines": gettext_lazy("disciplines present"),
}
# JSON lists of codes, shown with their labels.
CODE_LISTS = {"decisions": Decision, "meeting_decisions": Decision, "present_disciplines": Discipline}
# Fields that hold a triage outcome code: shown as the outcome's words.
OUTCOME_FIELDS = {"outcome", "outcome_in_force"}

RECORD_LABELS = {
    ("referrals.case", "+"): gettext_lazy("Case created"),
    ("referrals.case", "~"): gettext_lazy("Case changed"),
    ("referrals.patient", "+"): gettext_lazy("Patient registered"),
    ("referrals.patient", "~"): gettext_lazy("Patient data changed"),
    ("referrals.lesion", "+"): gettext_lazy("Lesion added"),
    ("referrals.lesion", "~"): gettext_lazy("Lesion changed"),
    ("referrals.lesion", "-"): gettext_lazy("Lesion deleted"),
    ("meetings.agendaitem", "+"): gettext_lazy("Placed on the agenda"),
    ("meetings.agendaitem", "~"): gettext_lazy("Agenda item changed"),
    ("meetings.meetingadvice", "+"): gettext_lazy("Advice of the meeting recorded"),
    ("meetings.meetingadvice", "~"): gettext_lazy("Advice of the meeting changed"),
}

ACTION_LABELS = {
    "patient.created": gettext_lazy("Patient registered"),
    "patient.changed": gettext_lazy("Patient data changed"),
    "case.created": gettext_lazy("Referral started (draft)"),
    "case.imported": gettext_lazy("Intake pre-filled from a FHIR file (to be checked)"),
    "case.step_saved": gettext_lazy("Intake step saved: %(step)s"),
    "case.triaged": gettext_lazy("Triage advice computed"),
    "case.submitted": gettext_lazy("Case submitted"),
    "case.resubmitted": gettext_lazy("Case resubmitted with the requested information"),
    "case.advice_accepted": gettext_lazy("Pre-consultation: triage advice accepted"),
    "case.advice_overridden": gettext_lazy("Pre-consultation: triage advice overridden"),
    "case.info_requested": gettext_lazy("Pre-consultation: information requested from the referrer"),
    "case.closed": gettext_lazy("Pre-consultation: closed, not for the neuro-oncology MDT"),
    "case.scheduled": gettext_lazy("Placed on the agenda"),
    "case.moved": gettext_lazy("Moved to another meeting"),
    "case.unscheduled": gettext_lazy("Taken off the agenda"),
    "case.presence_recorded": gettext_lazy("Presence of the treating physician recorded"),
    "case.advice_recorded": gettext_lazy("Advice of the meeting recorded"),
    "case.advice_corrected": gettext_lazy("Advice of the meeting corrected"),
    # Before issue 14 (the implementation per decision replaced it); kept for the events in the log.
    "case.plan_agreed": gettext_lazy("Plan agreed with the patient recorded"),
    "case.implementation_recorded": gettext_lazy("Implementation of the advice recorded"),
    "case.reevaluation_set": gettext_lazy("Re-evaluation date set"),
    "case.reevaluated": gettext_lazy("Re-evaluated with a new clinical status: stays closed"),
    "case.reentered": gettext_lazy("Re-evaluated with a new clinical status: back to the queue as a re-entry"),
    "case.patient_letter_requested": gettext_lazy("Letter for the patient requested"),
    "case.report_made_afterwards": gettext_lazy("MDT report made for an advice recorded before reports existed"),
    "case.withdrawn": gettext_lazy("Referral withdrawn by the referrer"),
    "case.deleted": gettext_lazy("Draft deleted"),
    "mail.sent": gettext_lazy("E-mail sent: %(kind)s"),
    "followup.plan_created": gettext_lazy("Follow-up plan made"),
    "followup.plan_changed": gettext_lazy("Follow-up plan changed"),
    "followup.mri_recorded": gettext_lazy("Follow-up MRI recorded"),
    "followup.rereferred": gettext_lazy("Referred again after the follow-up MRI"),
}

MAIL_KINDS = {
    "case_submitted": gettext_lazy("case submitted, to the neuro-oncologists"),
    "submission_received": gettext_lazy("confirmation of the referral, to the referring physician"),
    "info_requested": gettext_lazy("information requested, to the referring physician"),
    "case_scheduled": gettext_lazy("meeting date, to the referring physician"),
    "advice_recorded": gettext_lazy("advice recorded, to the referring physician"),
    "case_closed": gettext_lazy("case closed, to the referring physician"),
    "case_unscheduled": gettext_lazy("taken off the agenda, to the referring physician"),
    "case_withdrawn": gettext_lazy("referral withdrawn, to the neuro-oncologists"),
    "followup_due": gettext_lazy("follow-up MRI due soon, reminder"),
    "followup_overdue": gettext_lazy("follow-up MRI overdue, reminder"),
}


@dataclass
class Detail:
    """One line under an entry: "label: new", "label: old → new", or just "label"."""

    label: str
    old: str | None = None
    new: str | None = None


@dataclass
class Entry:
    at: datetime.datetime
    user: object  # accounts.User, or None for the application itself
    what: str
    details: list = field(default_factory=list)
    # For matching changes to their event: (model label, object id) and the acting user's id.
    key: tuple = ("", "")
    user_id: int | None = None
    link: str = ""  # a page that shows the entry's object in full (a stored advice)


def build_timeline(case):
    """Every entry of the case's timeline, oldest first."""
    events = [_event_entry(event) for event in
              Event.objects.filter(case=case).select_related("user").order_by("at", "id")]
    records = [
        *_history_entries(case.history.select_related(
            "history_user", "referring_physician", "referring_hospital", "mdo_centre")),
        *_patient_entries(case),
        *_history_entries(Lesion.history.filter(case_id=case.pk).select_related("history_user")),
        *_history_entries(AgendaItem.history.filter(case_id=case.pk).select_related("history_user", "meeting")),
        *_history_entries(MeetingAdvice.history.filter(item__case_id=case.pk).select_related("history_user")),
        *_preconsultation_entries(case),
        *_triage_entries(case),
    ]
    alone = _attach(records, events)
    return sorted(events + alone, key=lambda entry: entry.at)


def _attach(records, events):
    """Put each change under its event; return the changes that have none."""
    alone = []
    for record in sorted(records, key=lambda entry: entry.at):
        candidates = [
            event for event in events
            if record.user_id is not None and event.user_id == record.user_id
            and record.at <= event.at <= record.at + ATTACH_WINDOW
        ]
        event = next((e for e in candidates if e.key == record.key), None) or next(iter(candidates), None)
        if event is None:
            alone.append(record)
        else:
            event.details.extend(record.details)
            event.link = event.link or record.link
    return alone


# --- Events ---------------------------------------------------------------------------------------

def _event_entry(event):
    data = event.data or {}
    label = ACTION_LABELS.get(event.action)
    if label is None:
        what = event.action
    elif event.action == "case.step_saved":
        step = STEPS_BY_KEY.get(data.get("step"))
        what = label % {"step": step.label if step else data.get("step", "")}
    elif event.action == "mail.sent":
        what = label % {"kind": MAIL_KINDS.get(data.get("kind"), data.get("kind", ""))}
    else:
        what = str(label)
    return Entry(at=event.at, user=event.user, what=what, details=_event_details(event.action, data),
                 key=(event.object_type, event.object_id), user_id=event.user_id)


def _event_details(action, data):
    # Most events are explained by the records they carry; these hold facts of their own.
    if action == "case.advice_overridden":
        return [Detail(_("Triage advice"), _outcome(data.get("from")), _outcome(data.get("to")))]
    if action == "case.resubmitted" and data.get("answer"):
        return [Detail(_("Answer of the referrer"), new=data["answer"])]
    if action == "case.unscheduled":
        return [Detail(_("Reason"), new=data.get("reason", ""))]
    if action == "case.created" and data.get("copied_from"):
        return [Detail(_("Started from the previous case"), new=data["copied_from"])]
    if action == "mail.sent":
        return [Detail(_("Recipients"), new=str(data.get("recipients", "")))]
    if action.startswith("followup."):
        return _followup_details(action, data)
    return []


def _date_words(value):
    try:
        return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return value or "—"


def _followup_details(action, data):
    results, followed_by = dict(MriResult.choices), dict(FollowedBy.choices)
    details = []
    if action == "followup.plan_created":
        details = [
            Detail(_("MRI every (months)"), new=str(data.get("interval_months", ""))),
            Detail(_("After 2 years, MRI every (months)"), new=str(data.get("later_interval_months", ""))),
            Detail(_("Follow-up by"), new=f"{followed_by.get(data.get('followed_by'), '')}: "
                                          f"{data.get('physician_name', '')}"),
            Detail(_("First point of contact for the patient"), new=data.get("first_contact", "")),
        ]
    elif action == "followup.plan_changed":
        labels = {name: capfirst(FollowUpPlan._meta.get_field(name).verbose_name)
                  for name in data.get("changed", {})}
        for name, (old, new) in data.get("changed", {}).items():
            if name == "followed_by":
                old, new = str(followed_by.get(old, old)), str(followed_by.get(new, new))
            details.append(Detail(labels[name], old, new))
        details.append(Detail(_("Reason"), new=data.get("reason", "")))
    elif action == "followup.mri_recorded":
        details = [Detail(_("MRI made on"), new=_date_words(data.get("done_on"))),
                   Detail(_("Result"), new=str(results.get(data.get("result"), data.get("result", ""))))]
        if data.get("on_complaints"):
            details.append(Detail(_("Earlier MRI on complaints")))
    elif action == "followup.rereferred":
        details = [Detail(_("New referral"), new=data.get("new_case", "")),
                   Detail(_("Result"), new=str(results.get(data.get("result"), data.get("result", ""))))]
    if data.get("next_due"):
        details.append(Detail(_("Next MRI planned"), new=_date_words(data["next_due"])))
    return details


def _outcome(code):
    return outcome_context(code)["label"] if code in OUTCOMES else (code or "—")


# --- History --------------------------------------------------------------------------------------

def _history_entries(records):
    """One entry per history record, with its changes against the object's previous record."""
    previous = {}
    entries = []
    for record in records.order_by("history_date", "history_id"):
        before = previous.get(record.id)
        previous[record.id] = record
        model = record.instance_type
        label = model._meta.label_lower
        details = _record_details(record, before, label)
        if record.history_type == "~" and not details:
            continue
        entries.append(Entry(
            at=record.history_date, user=record.history_user,
            what=str(RECORD_LABELS.get((label, record.history_type), capfirst(model._meta.verbose_name))),
            details=details, key=(label, str(record.id)), user_id=record.history_user_id,
        ))
    return entries


def _record_details(record, before, label):
    if label == "referrals.lesion" and record.history_type != "~":
        # An added or deleted lesion is named by its values.
        return [Detail(str(RECORD_LABELS[(label, record.history_type)]), new=_lesion_name(record))]
    model = record.instance_type
    skip = SKIP.get(label, set())
    order = [f.name for f in model._meta.fields]
    if before is None:
        # A new object: the values it was given.
        names = [f.name for f in record.tracked_fields
                 if f.editable and not f.primary_key and f.name not in skip]
        names = [name for name in names if _has_value(getattr(record, model._meta.get_field(name).attname))]
    else:
        names = record.diff_against(before, excluded_fields=skip).changed_fields
    details = []
    for name in sorted(names, key=order.index):
        field_label = capfirst(FIELD_LABELS.get(name) or model._meta.get_field(name).verbose_name)
        if label == "referrals.lesion":
            field_label = _("Lesion %(lesion)s: %(field)s") % {
                "lesion": _lesion_name(before or record), "field": field_label}
        if name in HIDDEN:
            text = _("%(field)s entered") if before is None else _("%(field)s changed")
            details.append(Detail(text % {"field": field_label}))
        elif before is None:
            details.append(Detail(field_label, new=_value(record, name)))
        else:
            details.append(Detail(field_label, _value(before, name), _value(record, name)))
    return details


def _patient_entries(case):
    # A patient may have several cases: show the changes made from this case's start on.
    records = Patient.history.filter(id=case.patient_id).select_related("history_user")
    since = case.created_at - PATIENT_MARGIN
    return [entry for entry in _history_entries(records) if entry.at >= since]


def _has_value(value):
    # A new object's unset fields and unticked boxes are not worth a line; KPS 0 is.
    return not (value is None or value is False or value in ("", [], {}))


def _value(record, name):
    """A field's value as a reader knows it: the choice label, a local date, a name."""
    model_field = record.instance_type._meta.get_field(name)
    value = getattr(record, model_field.attname)
    if value in (None, "", []):
        return "—"
    if model_field.is_relation:
        return str(getattr(record, name))  # selected with the history, no query
    if name in OUTCOME_FIELDS and value in OUTCOMES:
        return _outcome(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if name in CODE_LISTS:
        labels = dict(CODE_LISTS[name].choices)
        return ", ".join(str(labels.get(code, code)) for code in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(formats.localize(value))


def _lesion_name(record):
    name = f"{record.get_region_display()}, {record.get_side_display()}, {floatformat(record.diameter_mm, -1)} mm"
    if record.critical:
        site = record.get_critical_site_display() or _("critical location")
        name = f"{name} ({site})"
    return name


# --- Records without history: pre-consultation and triage advice ----------------------------------

def _preconsultation_entries(case):
    entries = []
    for record in Preconsultation.objects.filter(case=case).select_related("by").order_by("at", "id"):
        details = [
            Detail(capfirst(Preconsultation._meta.get_field(name).verbose_name), new=text)
            for name, text in (("closed_forum", record.get_closed_forum_display()),
                               ("reason", record.reason), ("message", record.message))
            if text
        ]
        entries.append(Entry(
            at=record.at, user=record.by,
            what=_("Pre-consultation: %(action)s") % {"action": record.get_action_display()},
            details=details, key=("meetings.preconsultation", str(record.pk)), user_id=record.by_id,
        ))
    return entries


def _triage_entries(case):
    # The stored facts and trace are large and not shown here.
    advices = (Advice.objects.filter(case=case).select_related("created_by")
               .only("id", "created_at", "created_by", "outcome", "rule_set_version", "trigger")
               .order_by("created_at", "id"))
    return [
        Entry(at=advice.created_at, user=advice.created_by, what=_("Triage advice computed"),
              details=[Detail(_("Outcome"), new=_outcome(advice.outcome)),
                       Detail(_("Rule-set version"), new=rule_set_words(advice.rule_set_version))],
              key=("triage.advice", str(advice.pk)), user_id=advice.created_by_id,
              link=reverse("casefile:case_advice", args=[case.pk, advice.pk]))
        for advice in advices
    ]
