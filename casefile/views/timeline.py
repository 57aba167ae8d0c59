"""The case timeline: every action and change on a case, in order (casefile/timeline.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from casefile.notifications import case_reference
from casefile.timeline import build_timeline
from referrals.access import get_case_for_user


@login_required
def case_timeline(request, case_id):
    case = get_case_for_user(request, case_id, part="timeline")
    return render(request, "casefile/case_timeline.html", {
        "case": case,
        "reference": case_reference(case),
        "entries": build_timeline(case),
    })
