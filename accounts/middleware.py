"""Session policy: 30 minutes of inactivity, 12 hours after login at most.

Inactivity is SESSION_COOKIE_AGE, counted from the session's last save. Saving the session on
every request (SESSION_SAVE_EVERY_REQUEST) would cost a database write per page; instead the
session is touched at most once a minute, so a session ends between 29 and 30 minutes after the
last request. A deactivated user is logged out by Django itself on the next request
(ModelBackend refuses inactive users).
"""

import functools
import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject, empty
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backends import TOTP_PREFIX, session_device, session_user, totp_device_pk

LOGIN_AT = "mdo_login_at"
LAST_SEEN = "mdo_last_seen"
TOUCH_INTERVAL = 60  # seconds


def stamp_login_time(sender, request, user, **kwargs):
    """Connected to user_logged_in: the 12-hour limit counts from the login itself, and the login
    is the first activity of the session."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[LAST_SEEN] = now


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            now = int(time.time())
            if started is None:
                request.session[LOGIN_AT] = now
            elif now - started > settings.SESSION_ABSOLUTE_MAX_AGE:
                logout(request)
                return self.get_response(request)
            if now - request.session.get(LAST_SEEN, 0) >= TOUCH_INTERVAL:
                # A change marks the session modified: it is saved with a fresh expiry.
                request.session[LAST_SEEN] = now
        return self.get_response(request)




class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's OTPMiddleware (request.user.otp_device, user.is_verified()) without its own
    query per request (issue 17).

    The session keeps the verified device's id, as django-otp stores it at the code step. django-otp
    loads that device on every request to check it still exists, belongs to the user and is
    confirmed; here the same check is an EXISTS in the query that loads the user and the hospital
    (accounts.backends.RoleBackend.get_user), so it still runs on every request. We chose this over
    trusting the id in the session and invalidating it when a device is removed or disabled: that
    needs every way a device can go away (admin, shell, a cascade from the user, a changed secret) to
    find and clean the sessions, and one missed path leaves a session verified by a device that is
    gone. Here a deleted, unconfirmed or reassigned device ends the verified state at the next
    request, whoever changed it and however: the user is sent to the code step again (and the stale
    id is removed from the session, as django-otp does).

    `otp_device` is loaded from the database only when something reads its fields; the 2FA check
    (`is_verified()`) needs only the answer of the EXISTS. Devices other than TOTP, if a plugin is
    ever added, go through django-otp's own lookup.
    """

    def _verify_user_sync(self, request, user):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY) or ""
        loaded_already = not isinstance(user, SimpleLazyObject) or user._wrapped is not empty or hasattr(
            request, "_cached_user")
        if loaded_already or not persistent_id.startswith(TOTP_PREFIX):
            return super()._verify_user_sync(request, user)
        device_pk = totp_device_pk(persistent_id)
        token = session_device.set(device_pk)
        # The user the session's own query read (accounts.sessions), for the backend's get_user.
        prefetched = session_user.set(getattr(request.session, "prefetched_user", None))
        try:
            user._setup()  # Django's AuthenticationMiddleware's lazy user: loaded now, with the check
            user = user._wrapped
        finally:
            session_user.reset(prefetched)
            session_device.reset(token)
        self._init_user_fields(user)
        if user.is_authenticated:
            if device_pk is not None and getattr(user, "otp_device_ok", False):
                user.otp_device = SimpleLazyObject(functools.partial(TOTPDevice.objects.get, pk=device_pk))
            else:
                user.otp_device = None
                request.session.pop(DEVICE_ID_SESSION_KEY, None)
        return user


class NoStoreMiddleware:
    """Pages for a logged-in user hold patient data: no browser or proxy may keep a copy (OWASP
    ASVS 8.2.1). Without `no-store` a browser may keep the page in its disk or back-forward cache,
    where the next user of a shared workstation can find it after logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class TwoFactorMiddleware:
    """With REQUIRE_2FA, a logged-in user reaches nothing but the 2FA pages until verified."""

    ALLOWED_URL_NAMES = {"accounts:2fa_verify", "accounts:2fa_setup", "accounts:logout",
                         "set_language", "health"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.REQUIRE_2FA:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.ALLOWED_URL_NAMES:
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        return redirect(f"{reverse('accounts:2fa_verify')}?{urlencode({'next': request.get_full_path()})}")


class UserLanguageMiddleware:
    """A logged-in user's interface language is their profile's (User.language), not the
    browser's Accept-Language or an old cookie: many clinical PCs run an English operating system.
    The NL/EN switch (mdo.views.set_language) changes the profile. Runs after authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


# The browser features no page of the application uses, switched off for every page (and for any
# script that might get in): camera, microphone, location, payment, USB, and the rest.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get",
    "serial", "usb", "xr-spatial-tracking"))


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
