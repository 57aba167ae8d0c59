"""The case timeline (to be built)."""

from django.http import Http404


def case_timeline(request, case_id):
    raise Http404
