"""The mail queue in /beheer/: what waits or failed, why, and a retry. No body: only what is needed
to see which mail it is (kind, neutral case reference, address) and what went wrong."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from mailer.models import DontSendEntry, Message, MessageLog

from casefile import mailqueue
from casefile.models import QueuedMail
from casefile.timeline import MAIL_KINDS

# django-mailer's own admin pages show the body; this one replaces them.
for model in (Message, MessageLog, DontSendEntry):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

STATES = {"pending": _("pending"), "waiting": _("waiting for a retry"), "failed": _("failed")}


@admin.register(QueuedMail)
class QueuedMailAdmin(admin.ModelAdmin):
    list_display = ["when_added", "state", "kind", "reference", "recipient", "retry_count", "last_error",
                    "next_attempt"]
    list_display_links = None
    ordering = ["when_added", "pk"]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("casefile.change_queuedmail")

    @admin.display(description=_("state"))
    def state(self, obj):
        return STATES[mailqueue.state(obj)]

    @admin.display(description=_("kind"))
    def kind(self, obj):
        kind = mailqueue.describe(obj)["kind"]
        return MAIL_KINDS.get(kind, kind)

    @admin.display(description=_("case"))
    def reference(self, obj):
        return mailqueue.describe(obj)["reference"]

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return ", ".join(mailqueue.describe(obj)["to"])

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        failure = mailqueue.last_failure(obj)
        return failure.log_message if failure else ""

    @admin.display(description=_("next attempt"))
    def next_attempt(self, obj):
        if mailqueue.state(obj) != "waiting":
            return ""
        failure = mailqueue.last_failure(obj)
        return failure.when_attempted + mailqueue.backoff(obj.retry_count) if failure else ""

    @admin.action(description=_("Retry the selected e-mails now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = mailqueue.retry(queryset)
        self.message_user(request, ngettext("%(count)d e-mail is back in the queue.",
                                            "%(count)d e-mails are back in the queue.", count) % {"count": count},
                          messages.SUCCESS)
