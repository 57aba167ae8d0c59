"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against live_server."""

import shutil

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]


class SerialWSGIServer(WSGIServer):
    """One request at a time. On SQLite the test database is in memory and the live server's threads
    share its one connection (Django's override); a page that loads nine charts at once then runs
    nine requests on one sqlite3 connection, which hung a run. The live-server thread serves them
    in turn instead (Django closes each HTTP connection of a non-threaded server, so a browser's
    kept-alive connection does not block the others). PostgreSQL (CI) keeps the threaded server:
    each request thread has its own connection there, as in production."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LiveServerThread.server_class = SerialWSGIServer


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="nl-NL", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.csp_violations = []
    page.server_errors = []

    def on_console(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            page.csp_violations.append(message.text)

    def on_response(response):
        if response.status >= 500:
            page.server_errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    yield page
    context.close()
    assert not page.server_errors, page.server_errors
    assert not page.csp_violations, page.csp_violations


def log_in(page, user, password="a-long-test-password-1"):
    """Log in through the real pages, including the two-factor code."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="browser", defaults={"confirmed": True})
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("form.main-form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/**")
    page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
    page.click("form.main-form button[type=submit]")
