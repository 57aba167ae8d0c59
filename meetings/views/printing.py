"""Print view and PDF of a meeting's agenda and minutes (to be built)."""

from django.http import Http404


def agenda_print(request, meeting_id):
    raise Http404


def agenda_pdf(request, meeting_id):
    raise Http404


def minutes_print(request, meeting_id):
    raise Http404


def minutes_pdf(request, meeting_id):
    raise Http404
