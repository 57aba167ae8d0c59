from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form; axes needs the request, which AuthenticationForm passes on."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Django gives the user name a maxlength for the browser only. Without the check here, a
        # longer name reaches authenticate(), and django-axes, logging the failure, overflows
        # its 255-character column on PostgreSQL: a server error instead of "wrong name".
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
