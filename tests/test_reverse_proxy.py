"""nginx in front of gunicorn with the README's proxy configuration (docs/nginx.conf), as in
production (issue 16 item 9): the access log records the client's address and not a forged
X-Forwarded-For (TRUSTED_PROXY_COUNT=1), cookies are HTTPS-only, HSTS is sent, and nginx's own
access log holds no query string (a search term is a patient's name)."""

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django_otp.oath import totp

from tests.test_faults import BASE_DIR, free_port

pytestmark = [pytest.mark.server, pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed")]

CLIENT_ADDRESS = "127.0.0.3"   # the "browser": a loopback address of its own
FORGED = "198.51.100.7"        # what a client may put in X-Forwarded-For itself
SEARCH = "Geheimnaam"          # a search term that must not reach nginx's log
PASSWORD = "demo-wachtwoord-2026"


def manage(env, *args):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def proxied(tmp_path):
    """gunicorn (production settings) behind nginx (docs/nginx.conf) with a self-signed certificate."""
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "PYTHONUNBUFFERED": "1",
           "DJANGO_SETTINGS_MODULE": "mdo.settings", "DEBUG": "0", "ALLOWED_HOSTS": "mdo.example.org",
           "SECRET_KEY": "proxy-test-" + "k" * 50, "BEHIND_TLS_PROXY": "1", "TRUSTED_PROXY_COUNT": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "STATIC_ROOT": str(tmp_path / "static")}
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage({**env, "DEBUG": "1"}, "demo_data", "--quiet")
    key = json.loads(manage(env, "shell", "-c", (
        "import json; from accounts.models import User; from django_otp.plugins.otp_totp.models import TOTPDevice;"
        "d = TOTPDevice.objects.create(user=User.objects.get(username='verwijzer'), name='t', confirmed=True);"
        "print(json.dumps(d.key))")).strip().splitlines()[-1])

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=mdo.example.org", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True)
    site = (BASE_DIR / "docs" / "nginx.conf").read_text()
    for old, new in (("127.0.0.1:8000", f"127.0.0.1:{app_port}"), ("listen 443 ssl;", f"listen {https_port} ssl;"),
                     ("listen 80;", f"listen {http_port};"), ("/etc/ssl/mdo/", f"{tmp_path}/"),
                     ("/var/log/nginx/", f"{tmp_path}/")):
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf; }}\n")
    app = subprocess.Popen([sys.executable, "-m", "gunicorn", "mdo.wsgi", "--bind", f"127.0.0.1:{app_port}",
                            "--workers", "2", "--no-control-socket"], cwd=BASE_DIR, env=env,
                           stdout=open(tmp_path / "app.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
                           start_new_session=True)
    proxy = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=open(tmp_path / "nginx.out", "w"))  # noqa: SIM115
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", app_port), timeout=1).close()
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "app.log").read_text() + (tmp_path / "nginx.out").read_text())
        yield {"port": https_port, "env": env, "key": key, "dir": tmp_path}
    finally:
        proxy.terminate()
        os.killpg(app.pid, 15)
        proxy.wait(timeout=30)
        app.wait(timeout=30)


class Browser:
    """HTTPS through nginx from CLIENT_ADDRESS, with cookies; every request forges X-Forwarded-For."""

    def __init__(self, port):
        self.port, self.cookies, self.headers = port, {}, []

    def request(self, method, path, form=None):
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30,
                                                 source_address=(CLIENT_ADDRESS, 0))
        headers = {"Host": "mdo.example.org", "X-Forwarded-For": FORGED,
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Referer": "https://mdo.example.org/accounts/login/"})
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode(errors="replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.headers.append(value)
                cookie = SimpleCookie(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
        connection.close()
        return response.status, dict(response.getheaders()), content


def test_behind_nginx_the_client_address_cookies_hsts_and_a_log_without_queries(proxied):
    browser = Browser(proxied["port"])
    status, headers, page = browser.request("GET", "/accounts/login/")
    assert status == 200
    assert "max-age=31536000" in headers.get("Strict-Transport-Security", "")
    status, _, _ = browser.request("POST", "/accounts/login/", {"username": "verwijzer", "password": PASSWORD})
    assert status == 302
    token = totp(bytes.fromhex(proxied["key"]))
    status, _, _ = browser.request("POST", "/accounts/2fa/", {"token": f"{token:06d}"})
    assert status == 302
    status, _, content = browser.request("GET", f"/cases/?{urlencode({'q': SEARCH})}")
    assert status == 200
    status, _, content = browser.request("GET", "/cases/")
    assert status == 200 and "MDO" in content

    # Every cookie the application set is HTTPS-only; the session cookie also HttpOnly.
    assert browser.headers and all("Secure" in header for header in browser.headers), browser.headers
    assert any(h.startswith("sessionid=") and "HttpOnly" in h for h in browser.headers)

    # The access log has the browser's address: not nginx's, not the forged one. (The demo data
    # made before were written with 127.0.0.1; the browser's list and search are these rows.)
    addresses = json.loads(manage(proxied["env"], "shell", "-c", (
        "import json; from audit.models import AccessLog;"
        "rows = AccessLog.objects.filter(action__in=['list', 'search'], username='verwijzer');"
        "print(json.dumps(sorted(set(rows.values_list('client_ip', flat=True)))))"
    )).strip().splitlines()[-1])
    assert addresses == [CLIENT_ADDRESS], addresses

    log = (proxied["dir"] / "mdo.access.log").read_text()
    assert "/cases/" in log and "/accounts/2fa/" in log
    assert SEARCH not in log and "?" not in log, log
    assert re.search(rf"^{re.escape(CLIENT_ADDRESS)} ", log, re.MULTILINE)
