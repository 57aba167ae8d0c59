"""Settings for the MDO hersenmetastasen application.

One module for every environment; everything that differs between machines comes from
environment variables, read strictly (see mdo/env.py). Production is simply DEBUG off:
then SECRET_KEY and ALLOWED_HOSTS must be given and two-factor login is required.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from mdo.env import env_bool, env_choice, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-key-never-use-in-production-" + "x" * 20  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "mailer",
    "accounts",
    "audit",
    "referrals",
    "triage",
    "meetings",
    "followup",
    "interop",
    "casefile",
    "quality",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.OTPMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mdo.urls"
WSGI_APPLICATION = "mdo.wsgi.application"
ASGI_APPLICATION = "mdo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", "sqlite:///db.sqlite3"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "default": Django's own default (a LocMemCache per process). "rendered": HTML that never changes
# for its key, e.g. the panel of a stored triage advice (triage.presenters.stored_advice_panel);
# per process and bounded (an entry is 10-40 KB), so a worker's memory stays within its target.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "rendered": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rendered",
                 "OPTIONS": {"MAX_ENTRIES": 300}},
    # The print pages of agendas and minutes, one per version of the document (meetings.views.printing):
    # about 4 KB per case, 120 KB for 30 cases; at most 40 per process (under 5 MB).
    "print_pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "print_pages",
                    "OPTIONS": {"MAX_ENTRIES": 40}},
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.MdoArgon2PasswordHasher",  # argon2id, m=46 MiB, t=2, p=1 (accounts/hashers.py)
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Two-factor login (TOTP). Required for every clinical role in production; the demo may switch
# it off, never a server with DEBUG off.
REQUIRE_2FA = env_bool("REQUIRE_2FA", True)
if not DEBUG and not REQUIRE_2FA:
    raise ImproperlyConfigured("REQUIRE_2FA may only be switched off when DEBUG is on.")
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "MDO hersenmetastasen")

# Failed logins (django-axes), two limits, each for 15 minutes:
# * 5 failures of one user name from one address lock that combination. Not the account alone:
#   five anonymous POSTs from outside would lock a known user out, again and again; not the address
#   alone: a hospital's users share a few NAT addresses, and colleagues' typos must not lock out
#   the hospital. The price: an attacker may try 5 passwords per user name per address.
# * LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the user names, refuse further
#   attempts from it before the password is checked (accounts.forms.LoginForm): rotating user
#   names no longer costs an Argon2 hash each. The price: one misbehaving machine behind a
#   hospital's NAT can hold its colleagues off for 15 minutes; the limit is far above typos.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address as the access log sees it (TRUSTED_PROXY_COUNT hops of X-Forwarded-For).
AXES_CLIENT_IP_CALLABLE = "audit.actor.client_ip"
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=5, maximum=10000)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Sessions: 30 minutes of inactivity, 12 hours at most (accounts.middleware, which also renews the
# session's expiry once a minute instead of on every request).
SESSION_ENGINE = "accounts.sessions"  # the database store, its read as plain SQL (issue 17)
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_MAX_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "mdo.views.csrf_failure"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mdo.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: console by default; SMTP when EMAIL_HOST is given.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=300)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mdo-hersenmetastasen@localhost")
# Notification mail goes through a queue in the database (casefile.mailqueue, django-mailer):
# the worker `manage.py send_mail_queue` hands each message to EMAIL_BACKEND and records it.
MAILER_EMAIL_BACKEND = "casefile.mailqueue.RecordingBackend"
MAILER_ERROR_HANDLER = "casefile.mailqueue.handle_failure"
MAILER_USE_FILE_LOCK = False  # the rows are locked instead (SELECT ... FOR UPDATE NOWAIT)
MAILER_EMAIL_LOG_MESSAGE_DATA = False  # the log keeps the outcome, not a second copy of the mail
MAIL_QUEUE_MAX_ATTEMPTS = env_int("MAIL_QUEUE_MAX_ATTEMPTS", 12, minimum=1, maximum=100)
MAIL_QUEUE_BACKOFF_SECONDS = env_int("MAIL_QUEUE_BACKOFF_SECONDS", 60, minimum=1, maximum=3600)
MAIL_QUEUE_BACKOFF_MAX_SECONDS = env_int("MAIL_QUEUE_BACKOFF_MAX_SECONDS", 3600, minimum=1, maximum=86400)
# The agenda and minutes PDFs are made in the background by `manage.py render_pdfs` (meetings.pdfs)
# and served as stored files. Without that worker (the development server, the tests) the download
# makes a missing or outdated PDF there and then; with it, the download says "being prepared".
PDF_RENDER_ON_DEMAND = env_bool("PDF_RENDER_ON_DEMAND", DEBUG)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The base of our FHIR code systems and identifier systems (interop.codes): the same on every
# installation, so that a Bundle exported by one is understood by another. Change it never, or for all.
FHIR_BASE_URL = env_str("FHIR_BASE_URL", "https://mdo-hersenmetastasen.nl/fhir").rstrip("/")
# The host part of a meeting's calendar UID (meeting-<id>@<host>): stable, so an update replaces the event.
ICS_UID_HOST = env_str("ICS_UID_HOST", "mdo-hersenmetastasen.nl")

# Security headers. HTTPS settings follow DEBUG: a production server runs behind TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The access log records the client's address (NEN 7513). Behind a reverse proxy REMOTE_ADDR is
# the proxy's; the client is the address the proxy appended to X-Forwarded-For. Count the proxies
# that append (usually 1); with 0 the header is ignored, since anyone can send one.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# One handler for every logger, with a filter that takes database error details (the values of
# the failing row, SQL parameters) out of messages and tracebacks: mdo/log_privacy.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_database_errors": {"()": "mdo.log_privacy.RedactDatabaseErrors"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["redact_database_errors"]}},
    "root": {"handlers": ["console"], "level": env_choice(
        "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))},
    "loggers": {
        # Django's default handlers (a console handler with DEBUG on, mail to ADMINS with the
        # request's POST data) would write the same records without the filter: replaced, the
        # records go to the root's handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Django logs the full request line of a failing request; our URLs carry no patient data
        # (UUIDs only), but keep request logging at WARNING to avoid noise.
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # django-mailer logs every run of the worker at INFO; its failures reach casefile.mailqueue.
        "mailer": {"level": "WARNING"},
        # WeasyPrint reports its progress (about 70 lines per PDF) at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The regional MDO: how long a case takes on the agenda when a meeting counts minutes.
MDO_DEFAULT_MINUTES_PER_CASE = env_int("MDO_DEFAULT_MINUTES_PER_CASE", 10, minimum=1, maximum=120)
# After the meeting: an advice without an implementation status this many days after the meeting
# is listed for its hospital and reminded (followup, casefile.reminders).
IMPLEMENTATION_DUE_DAYS = env_int("IMPLEMENTATION_DUE_DAYS", 30, minimum=1, maximum=365)
