"""The case timeline: every action and change on a case, in order (referrals/timeline.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from meetings.notifications import case_reference
from referrals.access import get_case_for_user
from referrals.timeline import build_timeline


@login_required
def case_timeline(request, case_id):
    case = get_case_for_user(request, case_id, part="timeline")
    return render(request, "referrals/case_timeline.html", {
        "case": case,
        "reference": case_reference(case),
        "entries": build_timeline(case),
    })
