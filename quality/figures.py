"""The figures of the quality dashboard (issue 15), each computed with a few aggregate queries.

A figure is a `Table`: its columns, its rows of cells, and what its chart draws. Every count stands
on the cases the user may see (`Scope`), submitted in the chosen period; the meeting figures on the
meetings of the user's centre in that period. Nothing here loops over cases: the lead times are
read as a histogram (one row per number of days, grouped in the database), so their median and
90th percentile cost the same whether there are ten cases or a hundred thousand.

For a role without patient access (administrator, privacy officer) a cell that stands on 1 to 4
cases is shown as "<5" (`Cell.shown`), in the table, the chart and the CSV alike.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from followup.models import DeviationReason, FollowUpMri, Implementation, ImplementationStatus, ReEvaluation
from mdo.i18n import current_lang
from meetings.models import (
    AdviceReport,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingAdvice,
    MeetingStatus,
    PreconsultAction,
    Preconsultation,
)
from referrals.access import cases_visible_to
from referrals.models import Case, CaseStatus
from triage.codes import Discipline
from triage.engine import OUTCOMES
from triage.quorum import missing_disciplines

# Fewer cases than this in a cell identify patients: hidden from roles without patient access.
SMALL = 5
SUPPRESSED = "<5"
# A follow-up MRI made within this many days after its planned date counts as on time.
MRI_ON_TIME_DAYS = 14
# How many of the slowest cases, and of the exceptions to the quorum, are listed by name.
LISTED = 10

PATIENT_ROLES = {Role.REFERRER, Role.NEURO_ONCOLOGIST, Role.CHAIR}
AGGREGATE_ROLES = {Role.ADMIN, Role.PRIVACY_OFFICER}
DECISION_ACTIONS = (PreconsultAction.ACCEPT, PreconsultAction.OVERRIDE, PreconsultAction.CLOSE)


@dataclass(frozen=True)
class Scope:
    """What the figures of one user and period are computed over."""

    visible: object  # the cases the user may see (a queryset), any date
    cases: object  # of those, submitted in the period
    meetings: object  # the meetings of the user's centre in the period, not cancelled
    start: datetime.date
    end: datetime.date
    patient_access: bool
    role: str


def may_see_dashboard(user):
    return user.is_authenticated and user.is_active and user.role in PATIENT_ROLES | AGGREGATE_ROLES and (
        user.hospital_id is not None or user.role == Role.ADMIN)


def scope_for(user, start, end):
    """The cases and meetings behind the figures of `user` for the period start..end (dates, inclusive).

    Referrer, neuro-oncologist and chair: the cases they may see (referrals.access). An administrator
    sees the figures of every centre and a privacy officer those of their region, never a case."""
    if user.role in PATIENT_ROLES:
        visible = cases_visible_to(user).exclude(status=CaseStatus.DRAFT)
        centre_id = user.hospital.centre_id
    else:
        visible = Case.objects.exclude(status__in=[CaseStatus.DRAFT, CaseStatus.DELETED])
        centre_id = user.hospital.centre_id if user.role == Role.PRIVACY_OFFICER else None
        if centre_id is not None:
            visible = visible.filter(mdo_centre_id=centre_id)
    lower = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    upper = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min))
    meetings = Meeting.objects.filter(date__gte=start, date__lte=end).exclude(status=MeetingStatus.CANCELLED)
    if centre_id is not None:
        meetings = meetings.filter(centre_id=centre_id)
    return Scope(visible=visible.order_by(), cases=visible.filter(submitted_at__gte=lower, submitted_at__lt=upper)
                 .order_by(), meetings=meetings.order_by(), start=start, end=end,
                 patient_access=user.role in PATIENT_ROLES, role=user.role)


@dataclass
class Cell:
    """A number in a table with the number of cases it stands on (None: not a count of cases)."""

    value: object
    cases: int | None = None
    suffix: str = ""

    def hidden(self, suppress):
        return suppress and self.cases is not None and 0 < self.cases < SMALL

    def shown(self, suppress):
        if self.hidden(suppress):
            return SUPPRESSED
        if self.value is None:
            return "–"
        if isinstance(self.value, float):
            return f"{self.value:.2f}".rstrip("0").rstrip(".") + self.suffix
        return f"{self.value}{self.suffix}"

    def number(self, suppress):
        """The value for the chart: None where the table hides it or has none."""
        if self.hidden(suppress) or not isinstance(self.value, int | float):
            return None
        return self.value


class Breakdown(Cell):
    """A list of labelled counts in one cell ("to X: 3; to Y: 7"), each hidden by itself below 5."""

    def __init__(self, parts):
        super().__init__(parts, sum(n for _label, n in parts))

    def hidden(self, suppress):
        return False

    def shown(self, suppress):
        if not self.value:
            return "–"
        return "; ".join(f"{label}: {Cell(n, n).shown(suppress)}" for label, n in self.value)


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list  # each a list: a label (str) then Cells
    chart: str = "bar"  # bar, hbar, stacked, line
    series: list = field(default_factory=list)  # indexes of the columns the chart draws
    note: str = ""
    listed: list = field(default_factory=list)  # cases named below the table (patient roles only)
    listed_title: str = ""
    chart_rows: list | None = None  # the rows the chart draws (None: all)
    exceptions: list = field(default_factory=list)

    def shown_rows(self, suppress):
        return [[row[0], *(cell.shown(suppress) for cell in row[1:])] for row in self.rows]


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _pct(part, whole, cases=None):
    """A share in percent. It stands on the smaller of its part and its whole (that is not 0): 4 of 40
    is as telling as 4 of 4."""
    if cases is None:
        cases = min((n for n in (part, whole) if n), default=0)
    return Cell(_share(part, whole), cases, "%")


# --- Lead times ------------------------------------------------------------------------------------

def _first(queryset, column, output_field):
    return Subquery(queryset.values(column)[:1], output_field=output_field)


def _event_dates():
    """The dates of the steps of a case, as subqueries of the case (the first of each)."""
    decided = Preconsultation.objects.filter(case=OuterRef("pk"), action__in=DECISION_ACTIONS).order_by("at", "id")
    discussed = AgendaItem.objects.filter(case=OuterRef("pk"), discussed_at__isnull=False).order_by("discussed_at")
    plan = MeetingAdvice.objects.filter(item__case=OuterRef("pk"), plan_agreed_on__isnull=False).order_by(
        "plan_agreed_on")
    done = Implementation.objects.filter(advice__item__case=OuterRef("pk"), status=ImplementationStatus.DONE) \
        .order_by("done_on")
    # The first version of the MDO report is written with the advice itself (a correction makes another).
    advised = AdviceReport.objects.filter(advice__item__case=OuterRef("pk")).order_by("created_at", "id")
    return {
        "referral": TruncDate("submitted_at"),
        "preconsult": TruncDate(_first(decided, "at", DateTimeField())),
        "meeting": _first(discussed, "meeting__date", DateField()),
        "plan": _first(plan, "plan_agreed_on", DateField()),
        "implementation": _first(done, "done_on", DateField()),
        "advice": TruncDate(_first(advised, "created_at", DateTimeField())),
    }


LEAD_TIMES = [
    ("referral_preconsult", gettext_lazy("Referral → pre-consultation"), "referral", "preconsult"),
    ("preconsult_meeting", gettext_lazy("Pre-consultation → meeting"), "preconsult", "meeting"),
    ("meeting_plan", gettext_lazy("Meeting → plan agreed with the patient"), "meeting", "plan"),
    ("meeting_implementation", gettext_lazy("Meeting → advice carried out"), "meeting", "implementation"),
    ("referral_advice", gettext_lazy("Referral → MDT advice"), "referral", "advice"),
]


def _days(later, earlier):
    return ExpressionWrapper(later - earlier, output_field=DurationField())


def _histogram(scope, key, by_month=False):
    """{(month or None, days): number of cases} for one lead time: grouped in the database."""
    _key, _label, start, stop = next(lead for lead in LEAD_TIMES if lead[0] == key)
    dates = _event_dates()
    cases = scope.cases.annotate(lead_days=_days(dates[stop], dates[start])).filter(lead_days__isnull=False)
    columns = ["lead_days"]
    if by_month:
        cases = cases.annotate(month=TruncMonth("submitted_at"))
        columns.insert(0, "month")
    rows = cases.values(*columns).annotate(n=Count("pk")).order_by(*columns)
    histogram = {}
    for row in rows:
        days = row["lead_days"].days if isinstance(row["lead_days"], datetime.timedelta) else row["lead_days"]
        month = _month(row["month"]) if by_month else None
        histogram[(month, days)] = histogram.get((month, days), 0) + row["n"]
    return histogram


def _month(value):
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def percentile(histogram, fraction):
    """The `fraction` percentile (0..1) of the values counted in `histogram` ({value: count}),
    interpolated between the two nearest ranks as PostgreSQL's percentile_cont does. None if empty."""
    total = sum(histogram.values())
    if not total:
        return None
    position = (total - 1) * fraction
    lower_rank = math.floor(position)

    def value_at(rank):
        seen = 0
        for value in sorted(histogram):
            seen += histogram[value]
            if rank < seen:
                return value
        return max(histogram)

    lower = value_at(lower_rank)
    upper = value_at(min(lower_rank + 1, total - 1))
    result = lower + (position - lower_rank) * (upper - lower)
    return int(result) if float(result).is_integer() else round(result, 1)


def lead_times(scope):
    rows = []
    for key, label, _start, _stop in LEAD_TIMES:
        histogram = {days: n for (_month_, days), n in _histogram(scope, key).items()}
        n = sum(histogram.values())
        rows.append([str(label), Cell(n, n), Cell(percentile(histogram, 0.5), n), Cell(percentile(histogram, 0.9), n)])
    table = Table("lead_times", _("Lead times (days)"),
                  [_("Step"), _("Cases"), _("Median"), _("90th percentile")], rows, chart="hbar", series=[2, 3],
                  note=_("Calendar days between the first of each step; cases submitted in the period."))
    if scope.patient_access:
        table.listed = slowest_cases(scope)
        table.listed_title = _("The slowest cases, referral → MDT advice (or still waiting)")
    return table


def slowest_cases(scope):
    """The cases waiting longest from referral to the MDT's advice: done ones by their lead time,
    open ones by their wait until today. Only for roles that may see the cases."""
    dates = _event_dates()
    today = timezone.localdate()
    cases = (scope.cases.exclude(status__in=[CaseStatus.CLOSED, CaseStatus.WITHDRAWN])
             .annotate(advised_on=dates["advice"], submitted_on=dates["referral"])
             .select_related("patient", "referring_hospital")
             .only("pk", "patient__family_name", "patient__given_names", "patient__patient_number", "submitted_at",
                   "status", "referring_hospital__name", "patient_id"))
    listed = []
    # Advised ones by their lead time, in the database; then those still waiting, oldest first.
    advised = cases.filter(advised_on__isnull=False).annotate(
        lead_days=_days(dates["advice"], dates["referral"])).order_by("-lead_days", "submitted_at")[:LISTED]
    waiting = cases.filter(advised_on__isnull=True).order_by("submitted_at")[:LISTED]
    for case in advised:
        listed.append((case.lead_days.days, False, case))
    for case in waiting:
        listed.append(((today - case.submitted_on).days, True, case))
    listed.sort(key=lambda item: -item[0])
    return [{"case": case, "days": days, "waiting": waiting} for days, waiting, case in listed[:LISTED]]


def trend(scope):
    """Per month of submission: the cases, the median lead times, the share complete at first submission."""
    months = {}
    for row in scope.cases.annotate(month=TruncMonth("submitted_at")).values("month").annotate(
            n=Count("pk"), asked=Count("pk", filter=Q(Exists(_info_requests())))).order_by("month"):
        months[_month(row["month"])] = {"n": row["n"], "asked": row["asked"]}
    medians = {}
    for key in ("referral_preconsult", "referral_advice"):
        per_month = {}
        for (month, days), n in _histogram(scope, key, by_month=True).items():
            per_month.setdefault(month, {})[days] = n
        medians[key] = per_month
    rows = []
    for month in sorted(months):
        n = months[month]["n"]
        pre = medians["referral_preconsult"].get(month, {})
        adv = medians["referral_advice"].get(month, {})
        rows.append([month.strftime("%Y-%m"), Cell(n, n), _pct(n - months[month]["asked"], n),
                     Cell(percentile(pre, 0.5), sum(pre.values())), Cell(percentile(adv, 0.5), sum(adv.values()))])
    return Table("trend", _("Trend per month"),
                 [_("Month of referral"), _("Cases"), _("Complete at first submission"),
                  _("Median days referral → pre-consultation"), _("Median days referral → MDT advice")],
                 rows, chart="line", series=[1, 3, 4])


# --- Completeness ----------------------------------------------------------------------------------

def _info_requests():
    return Preconsultation.objects.filter(case=OuterRef("pk"), action=PreconsultAction.REQUEST_INFO)


def completeness(scope):
    totals = scope.cases.aggregate(n=Count("pk"), asked=Count("pk", filter=Q(Exists(_info_requests()))))
    requests = Preconsultation.objects.filter(case__in=scope.cases, action=PreconsultAction.REQUEST_INFO).count()
    n, asked = totals["n"], totals["asked"]
    per_case = round(requests / n, 2) if n else None
    rows = [
        [_("Cases submitted"), Cell(n, n)],
        [_("Complete at first submission (no information requested)"), Cell(n - asked, n - asked)],
        [_("Sent back with a request for information"), Cell(asked, asked)],
        [_("Share complete at first submission"), _pct(n - asked, n)],
        [_("Requests for information"), Cell(requests, requests)],
        [_("Requests for information per case"), Cell(per_case, n)],
    ]
    table = Table("completeness", _("Completeness of the referral"), [_("Figure"), _("Value")], rows,
                  chart="pie", series=[1])
    table.chart_rows = [1, 2]
    return table


# --- Triage and its fit ----------------------------------------------------------------------------

def _outcome_label(code):
    outcome = OUTCOMES.get(code)
    if outcome is None:
        return code or _("No triage advice")
    return outcome.short(current_lang()) or outcome.label(current_lang())


def triage_outcomes(scope):
    counts = {row["current_advice__outcome"]: row["n"] for row in
              scope.cases.values("current_advice__outcome").annotate(n=Count("pk")).order_by()}
    total = sum(counts.values())
    rows = [[_outcome_label(code), Cell(n, n), _pct(n, total, n)]
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))]
    return Table("triage_outcomes", _("Triage outcomes"), [_("Outcome of the flowchart"), _("Cases"), _("Share")],
                 rows, chart="hbar", series=[1],
                 note=_("The advice in force of the flowchart (the latest triage of each case)."))


def triage_fit(scope):
    """Outcome × pre-consultation: how often the neuro-oncologist accepted the flowchart's outcome,
    overrode it (and to what), or closed the case."""
    by_outcome = {}
    for row in (Preconsultation.objects.filter(case__in=scope.cases, action__in=DECISION_ACTIONS)
                .values("advice__outcome", "action", "outcome").annotate(n=Count("pk")).order_by()):
        entry = by_outcome.setdefault(row["advice__outcome"], {"accept": 0, "override": 0, "close": 0, "to": {}})
        entry[row["action"]] += row["n"]
        if row["action"] == PreconsultAction.OVERRIDE:
            entry["to"][row["outcome"]] = entry["to"].get(row["outcome"], 0) + row["n"]
    rows = []
    for code, entry in sorted(by_outcome.items(), key=lambda item: item[0] or ""):
        total = entry["accept"] + entry["override"] + entry["close"]
        changed = entry["override"] + entry["close"]
        rows.append([_outcome_label(code), Cell(total, total), Cell(entry["accept"], entry["accept"]),
                     Cell(entry["override"], entry["override"]), Cell(entry["close"], entry["close"]),
                     _pct(changed, total),
                     Breakdown([(_outcome_label(to), n) for to, n in sorted(entry["to"].items())])])
    return Table("triage_fit", _("Pre-consultation: the flowchart's outcome accepted or overridden"),
                 [_("Outcome of the flowchart"), _("Decisions"), _("Accepted"), _("Overridden"), _("Closed"),
                  _("Not followed"), _("Overridden to")], rows, chart="stacked", series=[2, 3, 4],
                 note=_("The guideline says many patients do not fit a flowchart: this shows where."))


# --- Law and meeting -------------------------------------------------------------------------------

def law(scope):
    # The two columns MeetingAdvice.derive() keeps (triage.quorum's rules), not text matches on JSON.
    advices = MeetingAdvice.objects.filter(item__case__in=scope.cases)
    radiotherapy, quorum = Q(includes_radiotherapy=True), Q(quorum_present=True)
    totals = advices.aggregate(n=Count("pk", filter=radiotherapy), ok=Count("pk", filter=radiotherapy & quorum))
    n, ok = totals["n"], totals["ok"]
    rows = [
        [_("Advices that include radiotherapy"), Cell(n, n)],
        [_("With the legal quorum"), Cell(ok, ok)],
        [_("Without the legal quorum"), Cell(n - ok, n - ok)],
        [_("Share with the quorum (must be 100%)"), _pct(ok, n)],
    ]
    table = Table("law", _("Radiotherapy advice and the legal quorum"), [_("Figure"), _("Value")], rows,
                  chart="pie", series=[1],
                  note=_("Regeling bijzondere neurochirurgie: neurosurgery, radiation oncology, neurology and "
                         "neuroradiology present at every advice that includes radiotherapy."))
    table.chart_rows = [1, 2]
    if not scope.patient_access:
        return table
    exceptions = (advices.filter(radiotherapy).exclude(quorum).select_related("item__meeting", "item__case__patient")
                  .order_by("item__meeting__date")[:LISTED])
    table.exceptions = [{"meeting": advice.item.meeting, "case": advice.item.case if scope.patient_access else None,
                         "missing": [str(Discipline(code).label)
                                     for code in missing_disciplines(advice.present_disciplines)]}
                        for advice in exceptions]
    return table


def _held(scope):
    return scope.meetings.filter(Exists(AgendaItem.objects.filter(meeting=OuterRef("pk"), discussed_at__isnull=False)))


def attendance(scope):
    held = _held(scope)
    meetings = held.count()
    present = {row["discipline"]: row["n"] for row in Attendance.objects.filter(meeting__in=held).values(
        "discipline").annotate(n=Count("meeting", distinct=True)).order_by()}
    rows = [[str(label), Cell(present.get(code, 0)), Cell(_share(present.get(code, 0), meetings), suffix="%")]
            for code, label in Discipline.choices]
    return Table("attendance", _("Attendance per discipline"),
                 [_("Discipline"), _("Meetings present"), _("Share of the meetings")], rows, chart="hbar",
                 series=[2], note=_("Over %(n)s meetings in the period at which cases were discussed.") % {
                     "n": meetings})


def capacity(scope):
    """Per meeting: the cases on its agenda (of those the user may see) against its capacity. A
    referrer sees the meetings that discuss their hospital's cases, and only those cases counted."""
    # A subquery per meeting: its few agenda items are looked up in the visible cases (an IN in an
    # aggregate's FILTER would hash every case the user may see, of every year).
    on_agenda = (AgendaItem.objects.filter(meeting=OuterRef("pk"), removed_at__isnull=True, case__in=scope.visible)
                 .order_by().values("meeting").annotate(n=Count("pk")).values("n"))
    meetings = scope.meetings.annotate(cases=Coalesce(Subquery(on_agenda), 0)).order_by("date", "start_time")
    if scope.role == Role.REFERRER:
        meetings = meetings.filter(cases__gt=0)
    rows = []
    for meeting in meetings:
        minutes = meeting.capacity_minutes or (meeting.capacity_cases or 0) * meeting.minutes_per_case
        rows.append([f"{meeting.date:%d-%m-%Y}", Cell(meeting.cases, meeting.cases),
                     Cell(meeting.capacity_in_cases),
                     Cell(meeting.cases * meeting.minutes_per_case, meeting.cases), Cell(minutes),
                     _pct(meeting.cases, meeting.capacity_in_cases, meeting.cases)])
    return Table("capacity", _("Cases per meeting against capacity"),
                 [_("Meeting"), _("Cases"), _("Capacity (cases)"), _("Planned minutes"), _("Capacity (minutes)"),
                  _("Filled")], rows, chart="bar", series=[1, 2])


# --- After the meeting -----------------------------------------------------------------------------

def after_meeting(scope):
    today = timezone.localdate()
    implementations = Implementation.objects.filter(advice__item__case__in=scope.cases)
    done = implementations.aggregate(n=Count("pk"), done=Count("pk", filter=Q(status=ImplementationStatus.DONE)),
                                     cases=Count("advice__item__case", distinct=True))
    reasons = {row["reason"]: row["n"] for row in implementations.filter(status=ImplementationStatus.NOT_DONE)
               .values("reason").annotate(n=Count("pk")).order_by()}
    mris = FollowUpMri.objects.filter(plan__case__in=scope.cases, on_complaints=False, due_date__isnull=False) \
        .annotate(late=_days(F("done_on"), F("due_date"))) \
        .aggregate(done=Count("pk", filter=Q(done_on__isnull=False)),
                   on_time=Count("pk", filter=Q(late__lte=datetime.timedelta(days=MRI_ON_TIME_DAYS))),
                   overdue=Count("pk", filter=Q(done_on__isnull=True, due_date__lt=today)))
    cases = scope.cases.aggregate(reentered=Count("pk", filter=Q(reentered_at__isnull=False)))
    reevaluations = ReEvaluation.objects.filter(case__in=scope.cases).aggregate(
        done=Count("pk", filter=Q(done_at__isnull=False)),
        requalified=Count("pk", filter=Q(requalified=True)),
        overdue=Count("pk", filter=Q(done_at__isnull=True, due_on__lt=today)))
    n, carried = done["n"], done["done"]
    rows = [
        [_("Advised decisions with their implementation recorded"), Cell(n, done["cases"])],
        [_("Carried out"), Cell(carried, carried)],
        [_("Share carried out"), _pct(carried, n)],
    ]
    for code, label in DeviationReason.choices:
        rows.append([_("Not carried out: %(reason)s") % {"reason": label}, Cell(reasons.get(code, 0),
                                                                                 reasons.get(code, 0))])
    rows += [
        [_("Follow-up MRIs made"), Cell(mris["done"], mris["done"])],
        [_("Of those on time (within %(days)s days of the planned date)") % {"days": MRI_ON_TIME_DAYS},
         Cell(mris["on_time"], mris["on_time"])],
        [_("Share of the MRIs on time"), _pct(mris["on_time"], mris["done"])],
        [_("Follow-up MRIs overdue today"), Cell(mris["overdue"], mris["overdue"])],
        [_("Re-evaluations done"), Cell(reevaluations["done"], reevaluations["done"])],
        [_("Of those qualified again for the MDT"), Cell(reevaluations["requalified"], reevaluations["requalified"])],
        [_("Re-evaluations overdue today"), Cell(reevaluations["overdue"], reevaluations["overdue"])],
        [_("Cases re-entered after a re-evaluation"), Cell(cases["reentered"], cases["reentered"])],
    ]
    table = Table("after_meeting", _("After the meeting"), [_("Figure"), _("Value")], rows, chart="hbar",
                  series=[1])
    table.chart_rows = [1] + [3 + index for index in range(len(DeviationReason.choices))]
    return table


FIGURES = {
    "lead_times": lead_times,
    "trend": trend,
    "completeness": completeness,
    "triage_outcomes": triage_outcomes,
    "triage_fit": triage_fit,
    "law": law,
    "attendance": attendance,
    "capacity": capacity,
    "after_meeting": after_meeting,
}
