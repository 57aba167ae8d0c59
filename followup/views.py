"""After the meeting: the implementation of the advice, the follow-up plan of a case (its MRIs, a
change of schedule, "refer again"), the re-evaluation of a closed case, and the list of what waits.

Each action validates its form, calls one service and goes back to the plan page; a form with
errors shows the plan page again with what was typed, the message at the field.
"""

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record, access_record_many
from followup import services
from followup.access import get_plan_for_user
from followup.forms import (
    ImplementationForm,
    MriForm,
    PlanAgreedForm,
    PlanChangeForm,
    PlanForm,
    ReEvaluationChangesForm,
    ReEvaluationDateForm,
)
from followup.models import FollowUpMri, FollowUpPlan, decisions_to_implement
from referrals.access import cases_visible_to, get_case_for_user
from referrals.forms import ClinicalForm, ExtracranialForm
from referrals.lifecycle import available_actions
from referrals.services import CaseIncomplete
from referrals.transition import ActionRefused, StaleEdit
from triage.codes import Decision
from triage.presenters import outcome_context

DUE_SOON_DAYS = 14


def _page(request, case, plan=None, forms=None, status=200):
    forms = forms or {}
    context = {"case": case, "plan": plan}
    if plan is None:
        advice = services.latest_meeting_advice(case)
        context["advice"] = advice
        if advice is not None:
            proposal = services.plan_proposal(case, advice)
            form = forms.get("create") or PlanForm(initial=proposal)
            context["create_form"] = form
            context["proposed"] = services.proposed_dates(FollowUpPlan(**proposal))
    else:
        mris = list(plan.mris.select_related("recorded_by", "rereferral").order_by("done_on", "due_date", "id"))
        context["done"] = [mri for mri in mris if mri.done_on is not None]
        context["next_mri"] = next((mri for mri in mris if mri.done_on is None), None)
        context["record_form"] = forms.get("record") or MriForm(auto_id="id_record_%s")
        context["complaints_form"] = forms.get("complaints") or MriForm(auto_id="id_complaints_%s")
        context["complaints_token"] = request.POST.get("token") if "complaints" in forms else uuid.uuid4()
        context["change_form"] = forms.get("change") or PlanChangeForm(instance=plan, auto_id="id_change_%s")
        context["proposed"] = services.proposed_dates(
            plan, context["next_mri"].due_date if context["next_mri"] else None, count=6)
        context["today"] = timezone.localdate()
    return render(request, "followup/plan.html", context, status=status)


@login_required
def plan_page(request, case_id):
    case = get_case_for_user(request, case_id, part="followup", select=("patient", "referring_physician"))
    plan = (FollowUpPlan.objects.filter(case=case).select_related("advice__item__meeting", "case__patient")
            .first())
    return _page(request, case, plan)


def _field_errors(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _submit(request, form, call, *, done, back, refused=messages.error):
    """The one shape of every form here: validate `form`, call its service with the cleaned data;
    done or refused as a whole: back to the page `back` (a URL name and its argument) with a
    message (`done`: the text, or a function of the service's result that gives it). A field
    error: None, and the caller shows the page again with the form as typed (status 400)."""
    if not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except (services.FollowUpRefused, ActionRefused) as exc:
        refused(request, exc.message)
        return redirect(*back)
    except ValidationError as exc:
        _field_errors(form, exc)
        return None
    messages.success(request, done(result) if callable(done) else done)
    return redirect(*back)


def _again(request, case, object_type):
    """The page is shown again with a form's errors: the look at the case is logged."""
    access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type=object_type, case=case)


@login_required
@require_POST
def plan_create(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="followup",
                             select=("patient", "referring_physician"))
    form = PlanForm(request.POST)
    done = _submit(request, form, lambda data: services.plan_create(
        actor=Actor.from_request(request), case_id=case.pk, values={name: data[name] for name in PlanForm.Meta.fields}),
        done=lambda result: _("The follow-up plan has been stored.") if result[1]
        else _("This case had a follow-up plan already; nothing was changed."), back=("followup:plan", case.pk))
    if done:
        return done
    _again(request, case, "followup")
    return _page(request, case, forms={"create": form}, status=400)


def _mri_action(request, plan, form_key, call):
    form = MriForm(request.POST, auto_id=f"id_{form_key}_%s")
    done = _submit(request, form, call, done=_("The MRI has been recorded."), back=("followup:plan", plan.case_id))
    if done:
        return done
    _again(request, plan.case, "followup")
    return _page(request, plan.case, plan, forms={form_key: form}, status=400)


@login_required
@require_POST
def mri_record(request, plan_id, mri_id):
    plan = get_plan_for_user(request, plan_id, action=None)
    return _mri_action(request, plan, "record", lambda data: services.mri_record(
        actor=Actor.from_request(request), plan_id=plan.pk, mri_id=mri_id, **data))


def _token(value):
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def mri_complaints(request, plan_id):
    plan = get_plan_for_user(request, plan_id, action=None)
    return _mri_action(request, plan, "complaints", lambda data: services.mri_add_on_complaints(
        actor=Actor.from_request(request), plan_id=plan.pk, token=_token(request.POST.get("token")), **data))


@login_required
@require_POST
def plan_change(request, plan_id):
    plan = get_plan_for_user(request, plan_id, action=None)
    form = PlanChangeForm(request.POST, instance=FollowUpPlan.objects.get(pk=plan.pk), auto_id="id_change_%s")
    done = _submit(request, form, lambda data: services.plan_change(
        actor=Actor.from_request(request), plan_id=plan.pk,
        values={name: data[name] for name in PlanChangeForm.Meta.fields}, reason=data["reason"],
        expected_version=_version(request.POST)),
        done=_("The follow-up plan has been changed."), back=("followup:plan", plan.case_id), refused=messages.warning)
    if done:
        return done
    _again(request, plan.case, "followup")
    return _page(request, plan.case, plan, forms={"change": form}, status=400)


def _version(post):
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def rereferral(request, plan_id, mri_id):
    plan = get_plan_for_user(request, plan_id, action=None)
    try:
        case, created = services.followup_rereferral(actor=Actor.from_request(request), plan_id=plan.pk,
                                                     mri_id=mri_id)
    except services.FollowUpRefused as exc:
        messages.error(request, exc.message)
        return redirect("followup:plan", plan.case_id)
    messages.success(request, _(
        "A new referral of this patient has been started from the previous case, marked as a recurrence. "
        "Check the history and answer the clinical status afresh.") if created else _(
        "This MRI was referred again already: here is that referral."))
    return redirect("referrals:intake_step", case.pk, "patient")


@login_required
def overdue_list(request):
    """What waits after the meeting, for the cases the user may see (per hospital for a referrer,
    per MDT centre for a neuro-oncologist or chair): advices without an implementation status
    IMPLEMENTATION_DUE_DAYS after the meeting, re-evaluations due, follow-up MRIs past their date
    and due within 14 days."""
    today = timezone.localdate()
    visible = cases_visible_to(request.user)
    unimplemented = list(services.advices_without_implementation(visible, today)
                         .select_related("patient", "referring_hospital")[:500])
    for case in unimplemented:
        case.days_since = (today - case.meeting_date).days
    reevaluations = list(services.reevaluations_due(visible, today)[:500])
    for record in reevaluations:
        record.days_overdue = (today - record.due_on).days
    open_mris = (FollowUpMri.objects.filter(plan__case__in=cases_visible_to(request.user), done_on__isnull=True,
                                            due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))
                 .select_related("plan__case__patient", "plan__case__referring_hospital")
                 .order_by("due_date", "id"))
    rows = list(open_mris[:500])
    for mri in rows:
        mri.days_overdue = (today - mri.due_date).days
    access_record_many(actor=Actor.from_request(request), action=AccessAction.READ, object_type="followup_list",
                       cases=[mri.plan.case for mri in rows] + unimplemented
                       + [record.case for record in reevaluations])
    return render(request, "followup/overdue.html", {
        "unimplemented": unimplemented,
        "implementation_due_days": services.implementation_due_after().days,
        "reevaluations": reevaluations,
        "overdue": [mri for mri in rows if mri.days_overdue > 0],
        "due_soon": [mri for mri in rows if mri.days_overdue <= 0],
        "due_soon_days": DUE_SOON_DAYS,
    })


# --- Implementation of the advice ----------------------------------------------------------------

def _implementation_forms(advice, data=None):
    labels = dict(Decision.choices)
    recorded = {row.decision: row for row in advice.implementations.all()}
    forms = []
    for code in decisions_to_implement(advice):
        row = recorded.get(code)
        initial = ({"status": row.status, "done_on": row.done_on, "reason": row.reason,
                    "reason_text": row.reason_text} if row else None)
        forms.append(ImplementationForm(data, initial=initial, decision=code, label=labels.get(code, code),
                                        recorded=row))
    return forms


def _implementation_page(request, case, advice, forms=None, agreed_form=None, status=200):
    may_record = bool(available_actions(request.user, case) & {"record_implementation", "complete_implementation"})
    agreed_form = agreed_form or PlanAgreedForm(initial={"agreed_on": advice.plan_agreed_on,
                                                         "agreed": advice.plan_agreed})
    forms = forms or _implementation_forms(advice)
    return render(request, "followup/implementation.html", {
        "case": case, "advice": advice, "forms": forms, "agreed_form": agreed_form, "may_record": may_record,
        "has_errors": any(form.is_bound and form.errors for form in [*forms, agreed_form])}, status=status)


def _advice_or_redirect(request, case):
    advice = services.latest_meeting_advice(case)
    if advice is None:
        messages.error(request, _("There is no advice of the meeting yet."))
    return advice


@login_required
def implementation_page(request, case_id):
    """Per advised decision: carried out (when), or not (why); and what was agreed with the patient."""
    if request.method == "POST":
        return _implementation_post(request, case_id)
    case = get_case_for_user(request, case_id, part="implementation", select=("patient", "referring_physician"))
    advice = _advice_or_redirect(request, case)
    if advice is None:
        return redirect("casefile:case_detail", case.pk)
    return _implementation_page(request, case, advice)


@permission_required("followup.record_implementation", raise_exception=True)
def _implementation_post(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="implementation",
                             select=("patient", "referring_physician"))
    advice = _advice_or_redirect(request, case)
    if advice is None:
        return redirect("casefile:case_detail", case.pk)
    forms = _implementation_forms(advice, request.POST)
    agreed_form = PlanAgreedForm(request.POST, prefix=None)
    rows = {form.decision: form.values() for form in forms if form.is_valid()}
    agreed_valid = agreed_form.is_valid()
    try:
        result = services.implementation_record(
            actor=Actor.from_request(request), case_id=case.pk, rows=rows,
            agreed_on=agreed_form.cleaned_data.get("agreed_on") if agreed_valid else None,
            agreed=agreed_form.cleaned_data.get("agreed", "") if agreed_valid else None)
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("casefile:case_detail", case.pk)
    by_decision = {form.decision: form for form in forms}
    for decision, errors in result.errors.items():
        target = agreed_form if decision == "agreed" else by_decision[decision]
        for field, message in errors.items():
            target.add_error(field, message)
    failed = [form for form in forms if form.errors] + ([agreed_form] if agreed_form.errors else [])
    if not failed:
        messages.success(request, _("The implementation of the advice has been recorded.") if result.saved
                         or agreed_valid else _("Nothing was changed."))
        return redirect("casefile:case_detail", case.pk)
    stored = [by_decision[code].label for code in result.saved]
    if stored:
        messages.warning(request, _("Stored: %(stored)s. Not stored: the rows marked below; what you typed "
                                    "is still there.") % {"stored": ", ".join(map(str, stored))})
    else:
        messages.error(request, _("Nothing was stored: correct the rows marked below; what you typed is "
                                  "still there."))
    _again(request, case, "implementation")
    case.refresh_from_db(fields=["status", "version"])
    return _implementation_page(request, case, advice, forms=forms, agreed_form=agreed_form, status=400)


# --- Re-evaluation of a closed case ---------------------------------------------------------------

def _reevaluation_page(request, case, forms=None, status=200):
    forms = forms or {}
    actions = available_actions(request.user, case)
    open_record = case.reevaluations.filter(done_at__isnull=True).first()
    done = list(case.reevaluations.filter(done_at__isnull=False).select_related("advice", "done_by")
                .order_by("-done_at"))
    for record in done:
        record.outcome_label = outcome_context(record.advice.outcome)["label"] if record.advice_id else ""
    context = {"case": case, "open_record": open_record, "done": done,
               "may_set": "set_reevaluation" in actions, "may_record": "reevaluate" in actions}
    if context["may_set"]:
        context["date_form"] = forms.get("date") or ReEvaluationDateForm(initial={
            "due_on": open_record.due_on if open_record else services.reevaluation_proposal(),
            "reason": open_record.reason if open_record else ""})
    if context["may_record"]:
        context["clinical_form"] = forms.get("clinical") or ClinicalForm(instance=case, prefix="clinical")
        context["extracranial_form"] = forms.get("extracranial") or ExtracranialForm(instance=case,
                                                                                     prefix="extracranial")
        context["changes_form"] = forms.get("changes") or ReEvaluationChangesForm()
    return render(request, "followup/reevaluation.html", context, status=status)


@login_required
def reevaluation_page(request, case_id):
    """A case closed as not for this MDO: the date to look at it again, and the new clinical status."""
    case = get_case_for_user(request, case_id, part="reevaluation", select=("patient", "current_advice"))
    return _reevaluation_page(request, case)


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def reevaluation_set(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="reevaluation",
                             select=("patient", "current_advice"))
    form = ReEvaluationDateForm(request.POST)
    done = _submit(request, form, lambda data: services.reevaluation_set(
        actor=Actor.from_request(request), case_id=case.pk, due_on=data["due_on"], reason=data["reason"]),
        done=_("The re-evaluation date has been stored."), back=("followup:reevaluation", case.pk))
    if done:
        return done
    _again(request, case, "reevaluation")
    return _reevaluation_page(request, case, forms={"date": form}, status=400)


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def reevaluation_record(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="reevaluation",
                             select=("patient", "current_advice"))
    forms = {"clinical": ClinicalForm(request.POST, instance=case, prefix="clinical"),
             "extracranial": ExtracranialForm(request.POST, instance=case, prefix="extracranial"),
             "changes": ReEvaluationChangesForm(request.POST)}
    valid = all([form.is_valid() for form in forms.values()])
    if valid:
        values = {**forms["clinical"].valid_values(), **forms["extracranial"].valid_values()}
        open_questions = {**forms["clinical"].open_questions(), **forms["extracranial"].open_questions()}
        for key in ("clinical", "extracranial"):
            for field, message in forms[key].open_questions().items():
                forms[key].add_error(field, message)
        if not open_questions:
            try:
                case, record = services.reevaluation_record(
                    actor=Actor.from_request(request), case_id=case.pk, values=values,
                    changes=forms["changes"].cleaned_data["changes"], expected_version=_version(request.POST))
            except StaleEdit:
                messages.warning(request, _("The case was changed after you opened it; nothing was stored. "
                                            "Check the case and enter the new status again."))
                return redirect("followup:reevaluation", case.pk)
            except CaseIncomplete:
                messages.error(request, _("The referral is not complete: answer the open questions of the "
                                          "intake first."))
                return redirect("followup:reevaluation", case.pk)
            except ActionRefused as exc:
                messages.error(request, exc.message)
                return redirect("followup:reevaluation", case.pk)
            except ValidationError as exc:
                _field_errors(forms["changes"], exc)
            else:
                if record.requalified:
                    messages.success(request, _("With the new status the case qualifies for the neuro-oncology MDT: "
                                                "it is back in the pre-consultation queue as a re-entry."))
                else:
                    messages.info(request, _("With the new status the advice is still not the neuro-oncology MDT; "
                                             "the case stays closed. You can set a new re-evaluation date."))
                return redirect("casefile:case_detail", case.pk)
    _again(request, case, "reevaluation")
    case.refresh_from_db()
    return _reevaluation_page(request, case, forms=forms, status=400)
