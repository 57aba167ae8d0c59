"""Roles, their Django groups and the permissions each group carries.

The user's `role` field is the single source of truth; User.save() puts the user in the
matching group, and `sync_role_groups` (run after every migrate) gives each group exactly
the permissions listed here.
"""

from accounts.models import ROLE_GROUPS, Role

# app_label.codename
ROLE_PERMISSIONS = {
    Role.REFERRER: [
        "referrals.refer_case",
        "followup.record_implementation",
    ],
    Role.NEURO_ONCOLOGIST: [
        "referrals.preconsult_case",
        "meetings.schedule_case",
        "meetings.record_meeting_advice",
        "followup.record_implementation",
    ],
    Role.CHAIR: [
        "referrals.preconsult_case",
        "meetings.schedule_case",
        "meetings.manage_meetings",
        "meetings.record_meeting_advice",
        "followup.record_implementation",
    ],
    Role.ADMIN: [
        "accounts.view_hospital",
        "accounts.add_hospital",
        "accounts.change_hospital",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "triage.view_thresholdset",
        "triage.change_thresholdset",
        "meetings.manage_meetings",
        # The mail queue (casefile.mailqueue): see what waits or failed, retry it.
        "casefile.view_queuedmail",
        "casefile.change_queuedmail",
        # Four eyes: decide on another administrator's access change (never one's own).
        "accounts.view_accesschange",
        "accounts.approve_accesschange",
        # See who has a second factor, remove a lost one (never add one or read its key).
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    ],
    Role.PRIVACY_OFFICER: [
        "audit.view_accesslog",
        "accounts.approve_accesschange",
    ],
}


def sync_role_groups(**kwargs):
    from django.contrib.auth.models import Group, Permission

    for role, group_name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = []
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
