"""Password rules, with their messages in the user's language.

Django 5.2 changed the minimum-length message to "%d" and its Dutch catalogue still has the old
"%(min_length)d" text, so the message came out in English: the message is ours here, translated
in locale/nl. The rule itself is Django's."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext(
            "This password is too short: it must be at least %(min_length)d character long.",
            "This password is too short: it must be at least %(min_length)d characters long.",
            self.min_length,
        ) % {"min_length": self.min_length}
