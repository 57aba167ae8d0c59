"""What a FHIR export of a case reads, and who receives the BSN with it."""

from accounts.models import Role
from interop.fhir import case_bundle
from meetings.models import Attendance, MeetingAdvice
from referrals.models import Lesion


def may_receive_bsn(user, case):
    """The full BSN is shown only in the patient form, to the referrers of the patient's own hospital
    (everywhere else it is masked: referrals.presenters.mask_bsn); an export follows the same rule."""
    return (user is not None and user.is_authenticated and user.role == Role.REFERRER
            and user.hospital_id == case.patient.hospital_id)


def latest_meeting_advice(case):
    return (MeetingAdvice.objects.select_related("item__meeting")
            .filter(item__case=case).order_by("-item__discussed_at", "-pk").first())


def export_bundle(case, *, with_bsn):
    """The Bundle of `case` (its patient and hospital loaded): reads the lesions, the newest meeting
    advice and that meeting's attendance."""
    lesions = list(Lesion.objects.filter(case=case).order_by("position", "id"))
    advice = latest_meeting_advice(case)
    attendances = list(Attendance.objects.filter(meeting=advice.item.meeting).select_related("user")) \
        if advice else []
    return case_bundle(case, lesions=lesions, meeting_advice=advice, attendances=attendances, with_bsn=with_bsn)
