"""Settings for the test run: the real settings module, given a test environment.

Everything runs as in production (DEBUG off, two-factor login required, Argon2) except what
cannot work on a test machine without TLS: secure-only cookies and the HTTPS redirect.
DATABASE_URL passes through, so CI runs the suite on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# No PDF worker runs beside the tests: a download makes its PDF (tests/test_meeting_pdfs.py turns it off).
os.environ.setdefault("PDF_RENDER_ON_DEMAND", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from mdo.settings import *  # noqa: E402,F403

# Argon2 at full strength makes each test login cost ~50 ms; the hasher choice itself is
# tested in tests/test_security_*.py against mdo.settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
# Django empties the tables between transactional tests with TRUNCATE, which the audit tables
# refuse on PostgreSQL except for a test database on a connection that says so (audit migration 0004).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = f"{_options.get('options', '')} -c mdo.audit_truncate=test-run".strip()
STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Serve static files from the source folders (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
