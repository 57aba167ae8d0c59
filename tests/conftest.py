import os

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings

from accounts.models import Role
from tests.factories import CentreFactory, HospitalFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Hypothesis: CI (CI=true; .ci/run sets it) runs the full example budget, a developer's run a tenth
# of it. HYPOTHESIS_PROFILE=ci runs the full budget anywhere; MDO_FUZZ_SCALE sets the share exactly.
settings.register_profile("ci", max_examples=100)
settings.register_profile("dev", max_examples=10)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")
settings.load_profile(HYPOTHESIS_PROFILE)
EXAMPLE_SCALE = float(os.environ.get("MDO_FUZZ_SCALE", settings.default.max_examples / 100))


def examples(full_budget):
    """How many examples a test with this full (CI) budget runs in this test run."""
    return max(1, int(full_budget * EXAMPLE_SCALE))


# Groups a developer can leave out (-m "not slow"); each of them is slow as well.
SLOW_GROUPS = ("fuzz", "browser", "server")


@pytest.fixture(autouse=True)
def _empty_rendered_cache():
    """Rendered HTML (triage.presenters.stored_advice_panel) is kept per process: a test starts
    without the renderings of the tests before it (whose database rows are gone)."""
    from django.core.cache import caches

    from meetings.pdfs import FILE_BYTES

    caches["rendered"].clear()
    caches["print_pages"].clear()
    FILE_BYTES.clear()  # the stored PDFs' bytes, likewise


def pytest_collection_modifyitems(items):
    for item in items:
        if any(item.get_closest_marker(group) for group in SLOW_GROUPS):
            item.add_marker(pytest.mark.slow)


def verified_login(client, user):
    """Log `user` in on the test client, past the two-factor step (as after a correct code)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def speak(client, language):
    """The client's interface language: the logged-in user's profile (which wins for a logged-in
    user, accounts.middleware.UserLanguageMiddleware) and the cookie (for anonymous pages)."""
    from django.conf import settings

    from accounts.models import User

    user_id = client.session.get("_auth_user_id")
    if user_id:
        User.objects.filter(pk=user_id).update(language=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def centre(db):
    return CentreFactory(name="Neuro-oncologisch Centrum", code="centrum")


@pytest.fixture
def hospital(centre):
    return HospitalFactory(name="Ziekenhuis Noord", code="noord", mdo_centre=centre)


@pytest.fixture
def other_hospital(centre):
    return HospitalFactory(name="Ziekenhuis Zuid", code="zuid", mdo_centre=centre)


@pytest.fixture
def other_centre_hospital(db):
    """A hospital of another region: its MDO centre is not ours."""
    return HospitalFactory(name="Ziekenhuis Elders", code="elders")


@pytest.fixture
def referrer(hospital):
    return UserFactory(username="verwijzer", hospital=hospital, role=Role.REFERRER,
                       first_name="Anna", last_name="de Vries")


@pytest.fixture
def colleague(hospital):
    return UserFactory(username="collega", hospital=hospital, role=Role.REFERRER)


@pytest.fixture
def outsider(other_hospital):
    return UserFactory(username="buitenstaander", hospital=other_hospital, role=Role.REFERRER)


@pytest.fixture
def neuro_oncologist(centre):
    return UserFactory(username="neuroonc", hospital=centre, role=Role.NEURO_ONCOLOGIST)


@pytest.fixture
def chair(centre):
    return UserFactory(username="voorzitter", hospital=centre, role=Role.CHAIR)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="beheerder", hospital=None, role=Role.ADMIN, is_staff=True)


@pytest.fixture
def referrer_client(client, referrer):
    return verified_login(client, referrer)
