"""The multi-step intake. Every POST stores what is valid of the step, whatever the button.

Buttons: "next" (store, then move on if every question of the step is answered), "save"
(store and stay), "goto" (store, then open another step), "add_lesion" / "remove_lesion"
(store and change the number of lesion rows). Invalid values are shown at their field and are
never written; everything else typed is kept.
"""

import copy
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actor import Actor
from audit.models import AccessAction
from referrals import services
from referrals.access import can_edit_intake, get_case_for_user
from referrals.forms import LesionFormSet, PatientForm
from referrals.intake import STEPS, STEPS_BY_KEY, next_step, open_questions, previous_step
from referrals.models import Case, Lesion, LesionMode
from referrals.presenters import case_sections
from triage.presenters import result_context
from triage.services import advice_preview

LESION_PREFIX = "lesions"


def _action(post):
    """(action, argument) from the button that was pressed."""
    if "goto" in post:
        return "goto", post["goto"]
    if "remove_lesion" in post:
        return "remove_lesion", post["remove_lesion"]
    for action in ("next", "save", "add_lesion"):
        if action in post:
            return action, None
    return "save", None


def _posted_version(post):
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


def _step_url(case, step):
    return reverse("referrals:intake_step", args=[case.pk, step.key])


def _progress(case, current, lesions):
    completed = set(case.completed_steps) if case else set()
    return [
        {
            "step": step,
            "number": index,
            "current": step is current,
            "completed": step.key in completed,
            "available": case is not None,
        }
        for index, step in enumerate(STEPS, start=1)
    ]


def _stale_message(request, exc):
    who = str(exc.changed_by) if exc.changed_by else _("another user")
    messages.warning(request, _(
        "This case was changed by %(who)s after you opened it. Your input below has NOT been "
        "saved yet: check it against the changes listed and save again."
    ) % {"who": who})


def _editable_case(request, case_id):
    case = get_case_for_user(
        request, case_id, action=AccessAction.READ, part="intake",
        prefetch=(Prefetch("lesions", queryset=Lesion.objects.order_by("position", "id")),),
    )
    if not can_edit_intake(request.user, case):
        messages.info(request, _("This case can no longer be changed in the intake."))
        return case, redirect("casefile:case_detail", case.pk)
    return case, None


def _lesion_formset(case, data=None, extra=0):
    formset_class = LesionFormSet
    if extra:
        formset_class = type("LesionFormSetExtra", (LesionFormSet,), {"extra": extra})
    return formset_class(data, instance=case, prefix=LESION_PREFIX,
                         queryset=case.lesions.order_by("position", "id"))


def _with_extra_lesion_row(post):
    data = post.copy()
    key = f"{LESION_PREFIX}-TOTAL_FORMS"
    try:
        data[key] = str(int(data.get(key, "0")) + 1)
    except ValueError:
        pass
    return data


def _after_save(request, case, step, action, argument, complete):
    if action == "goto" and argument in STEPS_BY_KEY:
        return redirect(_step_url(case, STEPS_BY_KEY[argument]))
    if action == "next" and complete:
        return redirect(_step_url(case, next_step(step)))
    if action == "add_lesion":
        return redirect(_step_url(case, step) + "?add=1")
    messages.success(request, _("Draft saved."))
    return redirect(_step_url(case, step))


def _token(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
def intake_new(request):
    """Step 1 for a case that does not exist yet; the draft is created on the first save."""
    step = STEPS[0]
    hospital = request.user.hospital
    if request.method != "POST":
        return render(request, step.template, {
            "step": step, "form": step.form_class(), "patient_form": PatientForm(hospital=hospital),
            "case": None, "progress": _progress(None, step, None), "previous": None,
            "intake_token": uuid.uuid4(),
        })

    action, argument = _action(request.POST)
    patient_form = PatientForm(request.POST, hospital=hospital)
    lenient = step.form_class(request.POST)
    strict = step.form_class(request.POST, strict=True)
    shown = strict if action == "next" else lenient
    token = _token(request.POST.get("intake_token"))
    if patient_form.is_valid() and lenient.is_valid():
        try:
            case, created = services.case_create(
                actor=Actor.from_request(request),
                patient_values=patient_form.cleaned_data,
                case_values=lenient.valid_values(),
                intake_token=token,
            )
        except ValidationError as exc:
            patient_form.add_error(None, exc)
        else:
            if created and action == "next" and not strict.is_valid():
                messages.warning(request, _(
                    "Your answers were saved. Some questions of this step are still open."
                ))
                return _render_step(request, case, step, strict, patient_form, None)
            return _after_save(request, case, step, action, argument, strict.is_valid())
    else:
        messages.error(request, _(
            "The draft could not be saved: the patient's identification is needed first, "
            "and the fields marked below must be corrected."
        ))
    return render(request, step.template, {
        "step": step, "form": shown, "patient_form": patient_form, "case": None,
        "progress": _progress(None, step, None), "previous": None,
        "intake_token": token or uuid.uuid4(),
    })


class StepSubmission:
    """The forms of one step bound to a POST: lenient ones to store, strict ones to judge."""

    def __init__(self, case, step, data, action):
        extra = {"date_of_birth": case.patient.date_of_birth} if step.key in ("oncology", "imaging") else {}
        self.step = step
        self.action = action
        self.lenient = step.form_class(data, instance=copy.copy(case), **extra)
        self.strict = step.form_class(data, instance=copy.copy(case), strict=True, **extra)
        self.patient_form = None
        if step.key == "patient":
            self.patient_form = PatientForm(
                data, instance=copy.copy(case.patient), hospital=case.patient.hospital
            )
        self.formset = _lesion_formset(case, data) if step.has_lesions else None
        # With "many or very small lesions" the rows are hidden and not part of the answer: they
        # are neither checked (an error in a hidden row would block the step unseen) nor stored,
        # and the stored rows stay, so switching back to a list brings them back.
        self.lesion_rows_apply = self.formset is not None and (
            self.lenient.valid_values().get("lesion_mode", case.lesion_mode) != LesionMode.MANY
        )
        self.lenient_ok = (
            self.lenient.is_valid()
            and (self.patient_form is None or self.patient_form.is_valid())
            and (not self.lesion_rows_apply or self.formset.is_valid())
        )
        self.strict_ok = self.lenient_ok and self.strict.is_valid() and self._lesions_given(case)

    def _lesions_given(self, case):
        # In list mode at least one lesion is required; only the form and formset together know.
        if self.formset is None:
            return True
        probe = copy.copy(case)
        for name, value in self.lenient.valid_values().items():
            setattr(probe, name, value)
        rows = [Lesion(**{k: v for k, v in row.items() if k != "id"}) for row in self.lesions or []]
        missing = self.step.missing(probe, rows).get("lesions")
        if missing:
            self.strict.add_error(None, missing)
        return not missing

    @property
    def patient_values(self):
        if self.patient_form is not None and self.patient_form.is_valid():
            return self.patient_form.cleaned_data
        return None

    @property
    def lesions(self):
        if self.lesion_rows_apply and self.formset.is_valid():
            return self.formset.lesion_values()
        return None

    @property
    def shown_form(self):
        """Errors shown to the user: every open question after "next", else only bad values."""
        return self.strict if self.action == "next" else self.lenient


@login_required
def intake_step(request, case_id, step_key):
    step = STEPS_BY_KEY.get(step_key)
    if step is None:
        raise Http404("No such step.")
    case, refusal = _editable_case(request, case_id)
    if refusal:
        return refusal
    if step.form_class is None:
        return intake_review(request, case)

    if request.method != "POST":
        extra = {"date_of_birth": case.patient.date_of_birth} if step.key in ("oncology", "imaging") else {}
        form = step.form_class(instance=case, **extra)
        patient_form = None
        if step.key == "patient":
            patient_form = PatientForm(instance=case.patient, hospital=case.patient.hospital)
        formset = None
        if step.has_lesions:
            extra_rows = 1 if request.GET.get("add") or not case.lesions.all() else 0
            formset = _lesion_formset(case, extra=extra_rows)
        return _render_step(request, case, step, form, patient_form, formset)

    action, argument = _action(request.POST)
    data = request.POST
    if step.has_lesions and action == "remove_lesion":
        data = data.copy()
        data[f"{LESION_PREFIX}-{argument}-DELETE"] = "on"
    submission = StepSubmission(case, step, data, action)
    try:
        case = services.case_save_step(
            actor=Actor.from_request(request),
            case_id=case.pk,
            step_key=step.key,
            values=submission.lenient.valid_values(),
            expected_version=_posted_version(request.POST),
            patient_values=submission.patient_values,
            lesions=submission.lesions,
        )
    except services.StaleEdit as exc:
        _stale_message(request, exc)
        return _render_submission(request, exc.case, submission, stale=exc)
    except services.CaseNotEditable:
        messages.info(request, _("This case can no longer be changed in the intake."))
        return redirect("casefile:case_detail", case.pk)
    except ValidationError as exc:
        (submission.patient_form or submission.lenient).add_error(None, exc)
        return _render_submission(request, case, submission)

    if not submission.lenient_ok:
        messages.warning(request, _(
            "Your answers were saved, except the fields marked below. Correct them and save again."
        ))
        if action == "add_lesion" and step.has_lesions:
            submission.formset = _lesion_formset(case, _with_extra_lesion_row(data))
            submission.formset.is_valid()
        return _render_submission(request, case, submission)
    if action == "next" and not submission.strict_ok:
        messages.warning(request, _(
            "Your answers were saved. Some questions of this step are still open."
        ))
        return _render_submission(request, case, submission)
    if action == "remove_lesion":
        messages.success(request, _("Lesion removed."))
        return redirect(_step_url(case, step))
    return _after_save(request, case, step, action, argument, submission.strict_ok)


def _render_submission(request, case, submission, stale=None):
    return _render_step(request, case, submission.step, submission.shown_form,
                        submission.patient_form, submission.formset, stale=stale)


def _render_step(request, case, step, form, patient_form, formset, stale=None):
    return render(request, step.template, {
        "step": step,
        "case": case,
        "form": form,
        "patient_form": patient_form,
        "formset": formset,
        "progress": _progress(case, step, None),
        "previous": previous_step(step),
        "stale": stale,
    })


def _question_label(name):
    if name == "lesions":
        return _("Lesions")
    return capfirst(Case._meta.get_field(name).verbose_name)


def intake_review(request, case):
    lesions = list(case.lesions.all())
    result = advice_preview(case, lesions)
    return render(request, "referrals/intake/review.html", {
        "step": STEPS_BY_KEY["review"],
        "case": case,
        "lesions": lesions,
        "sections": case_sections(case, lesions),
        "open_steps": [(step, [_question_label(name) for name in missing])
                       for step, missing in open_questions(case, lesions)],
        "advice": result_context(result),
        "progress": _progress(case, STEPS_BY_KEY["review"], lesions),
        "previous": previous_step(STEPS_BY_KEY["review"]),
    })


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def intake_submit(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="intake")
    try:
        case = services.case_submit(
            actor=Actor.from_request(request), case_id=case.pk,
            expected_version=_posted_version(request.POST),
        )
    except services.CaseNotEditable:
        messages.info(request, _("This case has already been submitted; nothing was changed."))
        return redirect("casefile:case_detail", case.pk)
    except services.StaleEdit as exc:
        _stale_message(request, exc)
        return redirect("referrals:intake_step", case.pk, "review")
    except services.CaseIncomplete:
        messages.error(request, _("Some questions are still open; see the list below."))
        return redirect("referrals:intake_step", case.pk, "review")
    messages.success(request, _("The case has been submitted. The advice is shown below."))
    return redirect("casefile:case_detail", case.pk)

