"""The multi-step intake. Every POST stores what is valid of the step, whatever the button.

Buttons: "next" (store, then move on if every question of the step is answered), "save"
(store and stay), "goto" (store, then open another step), "add_lesion" / "remove_lesion"
(store and change the number of lesion rows), "language" (the language switch: store, and
stay in the other language). Invalid values are shown at their field and are never written;
everything else typed is kept, and a field or lesion row with an error holds back nothing else.

What a step binds and when it is complete is the step's own business (referrals.intake): this
view handles a new referral and an existing draft alike, and names no step. A new referral of a
patient with earlier cases asks first whether to start from the previous case (EarlierCases).
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import user_set_language
from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record
from referrals import services
from referrals.access import can_edit_intake, get_case_for_user
from referrals.intake import STEPS, STEPS_BY_KEY, imported_unchecked, next_step, open_questions, previous_step
from referrals.lifecycle import OPEN_STATUSES
from referrals.models import Case, CaseStatus, Lesion
from referrals.presenters import case_sections, open_request
from triage.presenters import result_context
from triage.services import advice_preview


def _action(post):
    """(action, argument) from the button that was pressed."""
    if "goto" in post:
        return "goto", post["goto"]
    if "language" in post:
        return "language", post["language"]
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
    requested = set(open_request(case).get("steps", ())) - completed
    return [
        {
            "step": step,
            "number": index,
            "current": step is current,
            "completed": step.key in completed,
            # Asked for by pre-consultation and not saved since.
            "requested": step.key in requested,
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


def _editable_case(request, case_id, *, logged=True):
    case = get_case_for_user(
        request, case_id, action=AccessAction.READ if logged else None, part="intake",
        prefetch=(Prefetch("lesions", queryset=Lesion.objects.order_by("position", "id")),),
    )
    if not can_edit_intake(request.user, case):
        messages.info(request, _("This case can no longer be changed in the intake."))
        return case, redirect("casefile:case_detail", case.pk)
    return case, None


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
    """The first step before the draft exists; its first save makes the draft."""
    return _intake(request, None, STEPS[0])


@login_required
def intake_step(request, case_id, step_key):
    step = STEPS_BY_KEY.get(step_key)
    if step is None:
        raise Http404("No such step.")
    # A POST that stores the step is logged by the service, with its change (NEN 7513: one row for
    # the one access); a POST answered with the page without a store (a stale edit, an answer the
    # service refused, the review) is logged here as a read, before the page goes out.
    posted = request.method == "POST"
    case, refusal = _editable_case(request, case_id, logged=not posted)
    if refusal:
        return refusal
    response = _intake(request, case, step)
    if posted and response.status_code == 200 and not getattr(request, "intake_stored", False):
        access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="intake", case=case)
    return response


def _intake(request, case, step):
    """One step of a draft, or of the draft still to be made (`case` None)."""
    if not step.is_applicable(case):
        raise Http404("This step does not apply.")
    if not step.stores_answers:
        return intake_review(request, case, step)
    hospital = case.patient.hospital if case is not None else request.user.hospital
    if request.method != "POST":
        forms = step.blank(case, hospital=hospital, query=request.GET)
        return _render_step(request, case, step, forms)

    action, argument = _action(request.POST)
    language = argument if action == "language" and argument in dict(settings.LANGUAGES) else None
    if language is None:
        return _intake_post(request, case, step, action, argument)
    # The language switch sent this form: store it like "save draft", answer in the new language,
    # which becomes the profile's (it wins over the cookie for a logged-in user).
    user_set_language(actor=Actor.from_request(request), language=language)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    response = _intake_post(request, case, step, "save", None)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _intake_post(request, case, step, action, argument):
    hospital = case.patient.hospital if case is not None else request.user.hospital
    submission = step.bind(case, request.POST, hospital=hospital, action=action, argument=argument)
    token = _token(request.POST.get("intake_token")) if case is None else None

    def page(case, stale=None):
        if action == "next":
            submission.show_open_questions()
        return _render_step(request, case, step, submission.forms(), stale=stale, token=token)

    existed = case is not None
    if not existed and not submission.is_valid:
        # Nothing is stored without the patient it belongs to.
        messages.error(request, _(
            "The draft could not be saved: the patient's identification is needed first, "
            "and the fields marked below must be corrected."
        ))
        return page(None)
    copy_from = None
    if not existed:
        earlier = _earlier_cases(request, hospital, submission, token)
        if earlier is not None and not earlier.chosen:
            return _render_step(request, None, step, submission.forms(), token=token, earlier=earlier)
        copy_from = earlier.copy_from if earlier is not None else None
    try:
        case, stored = _store(request, case, step, submission, token, copy_from)
    except services.StaleEdit as exc:
        _stale_message(request, exc)
        return page(exc.case, stale=exc)
    except services.CaseNotEditable:
        messages.info(request, _("This case can no longer be changed in the intake."))
        return redirect("casefile:case_detail", case.pk)
    except ValidationError as exc:
        submission.add_error(exc)
        return page(case)

    if not submission.is_valid:
        submission.rows_stored(case)
        messages.warning(request, _(
            "Your other answers were saved. Not saved: %(items)s. These are marked below: "
            "correct them and save again."
        ) % {"items": "; ".join(submission.not_stored())})
        if action == "add_lesion":
            submission.add_lesion_row(case)
        return page(case)
    # `stored` is False only for a repeated first save (the same intake token): the draft made
    # the first time is returned unchanged.
    if action == "next" and not submission.is_complete and stored:
        messages.warning(request, _(
            "Your answers were saved. Some questions of this step are still open."
        ))
        return page(case)
    # Before the draft existed there was no lesion row to remove: that was a plain save.
    if action == "remove_lesion" and existed:
        messages.success(request, _("Lesion removed."))
        return redirect(_step_url(case, step))
    return _after_save(request, case, step, action, argument, submission.is_complete)


class EarlierCases:
    """A new referral of a patient who has cases already: the referrer must choose to start from
    the previous case or from scratch (which is also the confirmation asked while a case is open)."""

    NEW = "new"

    def __init__(self, cases, choice):
        self.cases = cases
        self.open = [case for case in cases if case.status in OPEN_STATUSES]
        # The newest case that was submitted: a draft holds nothing the meeting saw.
        self.previous = next((case for case in cases if case.status != CaseStatus.DRAFT), None)
        choices = {self.NEW} | ({str(self.previous.pk)} if self.previous else set())
        self.choice = choice
        self.chosen = choice in choices
        self.copy_from = self.previous.pk if self.chosen and choice != self.NEW else None


def _earlier_cases(request, hospital, submission, token):
    cases = services.patient_earlier_cases(hospital=hospital, patient_values=submission.patient_values,
                                           intake_token=token)
    if not cases:
        return None
    earlier = EarlierCases(cases, request.POST.get("previous_case", ""))
    if not earlier.chosen:
        messages.warning(request, _(
            "This patient has been referred before. Choose below how to start this referral; "
            "nothing has been saved yet."
        ))
    return earlier


def _store(request, case, step, submission, token, copy_from=None):
    """(case, stored): a new draft from the first step, or this step saved on the draft."""
    actor = Actor.from_request(request)
    if case is None:
        return services.case_create(
            actor=actor, patient_values=submission.patient_values, case_values=submission.values,
            intake_token=token, copy_from=copy_from,
        )
    case = services.case_save_step(
        actor=actor, case_id=case.pk, step_key=step.key, values=submission.values,
        expected_version=_posted_version(request.POST),
        patient_values=submission.patient_values, lesions=submission.lesions,
    )
    request.intake_stored = True  # the service logged this access with the change (intake_step)
    return case, True


def _mark_imported(case, step, forms):
    """Mark at its field each value a FHIR import pre-filled that the referrer has not checked yet
    (saving the step checks them); returns the labels of those fields, for the notice above."""
    labels = []
    for name in imported_unchecked(case, step.key):
        if name == "lesions":
            labels.append(_("Lesions"))
            continue
        for form in (forms.get("form"), forms.get("patient_form")):
            if form is not None and name in form.fields:
                field = form.fields[name]
                labels.append(capfirst(field.label or name))
                field.label = _("%(label)s (imported, check)") % {"label": capfirst(field.label or name)}
                field.widget.attrs["data-imported"] = "true"
    return labels


def _render_step(request, case, step, forms, stale=None, token=None, earlier=None):
    return render(request, step.template, {
        "imported_labels": _mark_imported(case, step, forms),
        "earlier": earlier,
        "step": step,
        "case": case,
        **forms,
        "progress": _progress(case, step, None),
        "open_request": open_request(case),
        "previous": previous_step(step),
        "stale": stale,
        # The first save of a new referral sends it back: a double click makes one draft.
        "intake_token": (token or uuid.uuid4()) if case is None else None,
        # The language switch sends this form, so nothing typed is lost (base.html).
        "keep_form": "intake-form",
    })


def _question_label(name):
    if name == "lesions":
        return _("Lesions")
    return capfirst(Case._meta.get_field(name).verbose_name)


def intake_review(request, case, step):
    lesions = list(case.lesions.all())
    result = advice_preview(case, lesions)
    return render(request, step.template, {
        "step": step,
        "case": case,
        "lesions": lesions,
        "sections": case_sections(case, lesions),
        "open_steps": [(open_step, [_question_label(name) for name in missing])
                       for open_step, missing in open_questions(case, lesions)],
        "advice": result_context(result),
        "progress": _progress(case, step, lesions),
        "open_request": open_request(case),
        "previous": previous_step(step),
    })


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def intake_submit(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="intake")
    try:
        case = services.case_submit(
            actor=Actor.from_request(request), case_id=case.pk,
            expected_version=_posted_version(request.POST), answer=request.POST.get("answer", "")[:4000],
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

