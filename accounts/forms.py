import datetime

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.actor import client_ip


def address_throttled(request):
    """Too many failed logins from this address in the cool-off time, whatever the user names."""
    address = client_ip(request) if request is not None else None
    if not address or not getattr(settings, "AXES_ENABLED", True):
        return False
    since = timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    failures = (AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
                .aggregate(total=Sum("failures_since_start"))["total"] or 0)
    return failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class LoginForm(AuthenticationForm):
    """Django's login form; axes needs the request, which AuthenticationForm passes on."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Django gives the user name a maxlength for the browser only. Without the check here, a
        # longer name reaches authenticate(), and django-axes, logging the failure, overflows
        # its 255-character column on PostgreSQL: a server error instead of "wrong name".
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def clean(self):
        # Before the password is checked: an address that is throttled costs no Argon2 hash.
        if address_throttled(self.request):
            raise ValidationError(_("Too many failed logins from this address. Try again in 15 minutes."),
                                  code="throttled")
        return super().clean()


class AccessDecisionForm(forms.Form):
    """The second person's decision on an access change (accounts/views.access_request_decide)."""

    decision = forms.ChoiceField(label=_("Decision"),
                                 choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.TextInput(attrs={"maxlength": 1000}))
