from django.shortcuts import render
from django.utils import timezone


def floor(request):
    """The cheapest page Django can serve here: the whole middleware stack, no session, no
    query, a small template. Every page of the benchmark is compared with it."""
    return render(request, "floor.html", {"now": timezone.now()})
