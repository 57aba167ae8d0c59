"""Pick what the benchmark requests and make what it needs, in the benchmark's database.

Run by run_benchmark.py (DJANGO_SETTINGS_MODULE=benchmarks.settings), after synthetic_data:
refreshes the planner statistics, makes a logged-in, two-factor-verified session per user (as
after a real login: the auth keys and the OTP device in the session), picks the case page and the
30-case meeting, makes the complete drafts the submit benchmark consumes, and writes it all as
JSON for the runner.
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.middleware.csrf import CSRF_ALLOWED_CHARS  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.middleware import LOGIN_AT  # noqa: E402
from accounts.models import User  # noqa: E402
from accounts.sessions import SessionStore  # noqa: E402
from casefile.management.commands import synthetic_data as synthetic  # noqa: E402
from casefile.management.commands.synthetic_data import SyntheticData  # noqa: E402
from meetings.models import Meeting, MeetingStatus  # noqa: E402
from referrals.models import Case, CaseStatus  # noqa: E402

LIST_USER = "synth-verwijzer-zh-1-1"
QUEUE_USER = "synth-neuroonc-centrum-1"
CHAIR_USER = "synth-voorzitter-centrum-1"
# Submits come from another region, so they do not change the queue measured above.
SUBMIT_USER = "synth-verwijzer-zh-2-1"
# The quality dashboard is measured over six whole months that the synthetic data fills evenly at
# every size (about 200 referrals a month per centre): the months before last month, as the last
# weeks hold the synthetic backlog of open cases, which grows with the size, and the 10,000-case
# data begins eight months back. Flat in N (issue 17, target 5) then compares the database's size,
# not the period's content.
QUALITY_MONTHS = 6


def verified_session(user):
    """A session as after password and TOTP code: what django.contrib.auth and django_otp store."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.RoleBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[LOGIN_AT] = int(time.time())
    session.create()
    return session.session_key


def quality_period(centre):
    """{start, end, cases}: the QUALITY_MONTHS whole months before last month, and the centre's
    referrals submitted in them."""
    first_of_last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    end = first_of_last_month - datetime.timedelta(days=1)
    start = end.replace(day=1)
    for _ in range(QUALITY_MONTHS - 1):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    cases = (Case.objects.filter(mdo_centre=centre, submitted_at__date__range=(start, end))
             .exclude(status__in=[CaseStatus.DRAFT, CaseStatus.DELETED]).count())
    return {"start": start.isoformat(), "end": end.isoformat(), "cases": cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--drafts", type=int, default=25_000)
    parser.add_argument("--drafts-file", required=True)
    args = parser.parse_args()

    started = time.monotonic()
    users = {name: User.objects.get(username=name) for name in (LIST_USER, QUEUE_USER, CHAIR_USER, SUBMIT_USER)}
    csrf = get_random_string(32, CSRF_ALLOWED_CHARS)
    sessions = {name: verified_session(user) for name, user in users.items()}

    centre = users[QUEUE_USER].hospital
    case = (Case.objects.filter(mdo_centre=centre, status=CaseStatus.SUBMITTED, meeting_ready=True,
                                current_advice__forum="NEURO_ONC_MDO")
            .order_by("-submitted_at").first())
    meeting = (Meeting.objects.filter(centre=centre, status=MeetingStatus.PLANNED)
               .annotate(n=Count("items", filter=Q(items__removed_at__isnull=True)))
               .filter(n=30).order_by("date").first())
    if case is None or meeting is None:
        sys.exit("No submitted complete case or no 30-case meeting: run synthetic_data with more cases.")
    quality = quality_period(centre)

    data = SyntheticData(seed=2, log=lambda message: None)
    data.organisation(centres=6, hospitals_per_centre=3)
    drafts = data.complete_drafts(users[SUBMIT_USER].hospital, args.drafts + 1)
    check_draft, drafts = drafts[0], drafts[1:]
    Path(args.drafts_file).write_text("".join(f"{pk} {version}\n" for pk, version in drafts))

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have done by now on a live server

    def page(user, url, marker, log_rows):
        return {"url": url, "session": sessions[user], "marker": marker, "log_rows": log_rows}

    queue = reverse("meetings:queue")
    targets = {
        "csrf": csrf,
        "pages": {
            "floor": {"url": "/bench/floor/", "session": None, "marker": "<h1>Floor</h1>", "log_rows": 0},
            # The same view for a logged-in user: session, user and 2FA device read, session saved.
            "floor_session": page(LIST_USER, "/bench/floor/", "<h1>Floor</h1>", 0),
            "case_list": page(LIST_USER, reverse("referrals:case_list"), "case-table", 25),
            "queue": page(QUEUE_USER, queue, "queue-table", 25),
            "queue_search": page(QUEUE_USER, f"{queue}?q=bakker&outcome=NEURO_ONC_MDO&sort=waiting",
                                 "queue-table", None),
            "case_page": page(QUEUE_USER, reverse("casefile:case_detail", args=[case.pk]), "<svg", 1),
            "agenda_print": page(CHAIR_USER, reverse("meetings:agenda_print", args=[meeting.pk]), "</html>", 30),
            "agenda_pdf": page(CHAIR_USER, reverse("meetings:agenda_pdf", args=[meeting.pk]), "%PDF", 30),
            # The centre's figures over QUALITY_MONTHS months; its access-log rows: the page
            # and the slowest cases listed.
            "quality_dashboard": page(CHAIR_USER, f"{reverse('quality:dashboard')}?start={quality['start']}"
                                      f"&end={quality['end']}", "quality-table", None),
        },
        "submit": {"session": sessions[SUBMIT_USER], "hospital": users[SUBMIT_USER].hospital_id,
                   "check": [str(check_draft[0]), check_draft[1]], "drafts": len(drafts)},
        "quality_period": quality,
        "case_id": str(case.pk),
        "meeting_id": str(meeting.pk),
        # The password step of a real login (the Argon2 peak); the synthetic accounts' password.
        "login": {"username": LIST_USER, "password": synthetic.PASSWORD},
        "seconds": round(time.monotonic() - started, 1),
    }
    Path(args.out).write_text(json.dumps(targets, indent=2))


if __name__ == "__main__":
    main()
