"""The follow-up plan of a case (its MRIs, a change of schedule, "refer again") and the overdue list.

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
from followup.forms import MriForm, PlanChangeForm, PlanForm
from followup.models import FollowUpMri, FollowUpPlan
from referrals.access import cases_visible_to, get_case_for_user

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


@login_required
@require_POST
def plan_create(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="followup",
                             select=("patient", "referring_physician"))
    form = PlanForm(request.POST)
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in PlanForm.Meta.fields}
        try:
            plan, created = services.plan_create(actor=Actor.from_request(request), case_id=case.pk, values=values)
        except services.FollowUpRefused as exc:
            messages.error(request, exc.message)
            return redirect("followup:plan", case.pk)
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("The follow-up plan has been stored.") if created
                             else _("This case had a follow-up plan already; nothing was changed."))
            return redirect("followup:plan", case.pk)
    access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="followup", case=case)
    return _page(request, case, forms={"create": form}, status=400)


def _mri_action(request, plan, form_key, call):
    form = MriForm(request.POST, auto_id=f"id_{form_key}_%s")
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except services.FollowUpRefused as exc:
            messages.error(request, exc.message)
            return redirect("followup:plan", plan.case_id)
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("The MRI has been recorded."))
            return redirect("followup:plan", plan.case_id)
    access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="followup",
                  case=plan.case)
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
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in PlanChangeForm.Meta.fields}
        try:
            services.plan_change(actor=Actor.from_request(request), plan_id=plan.pk, values=values,
                                 reason=form.cleaned_data["reason"], expected_version=_version(request.POST))
        except services.FollowUpRefused as exc:
            messages.warning(request, exc.message)
            return redirect("followup:plan", plan.case_id)
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("The follow-up plan has been changed."))
            return redirect("followup:plan", plan.case_id)
    access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="followup",
                  case=plan.case)
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
    """Follow-up MRIs past their date (and due within 14 days) of the cases the user may see:
    per hospital for a referrer, per MDT centre for a neuro-oncologist or chair."""
    today = timezone.localdate()
    open_mris = (FollowUpMri.objects.filter(plan__case__in=cases_visible_to(request.user), done_on__isnull=True,
                                            due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))
                 .select_related("plan__case__patient", "plan__case__referring_hospital")
                 .order_by("due_date", "id"))
    rows = list(open_mris[:500])
    for mri in rows:
        mri.days_overdue = (today - mri.due_date).days
    access_record_many(actor=Actor.from_request(request), action=AccessAction.READ, object_type="followup_list",
                       cases=[mri.plan.case for mri in rows])
    return render(request, "followup/overdue.html", {
        "overdue": [mri for mri in rows if mri.days_overdue > 0],
        "due_soon": [mri for mri in rows if mri.days_overdue <= 0],
        "due_soon_days": DUE_SOON_DAYS,
    })
