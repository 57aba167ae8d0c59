"""A logged-in user's interface is in their profile's language (issue 12 item 14).

Many clinical PCs run an English operating system: the browser's Accept-Language must not turn the
interface English for a Dutch user. The NL/EN switch changes the profile (logged); the 404 and 403
pages and the PDF file names follow it."""

import pytest
from django.urls import reverse

from audit.models import Event
from tests.conftest import verified_login
from tests.workflow import planned_meeting

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.mark.django_db
class TestProfileLanguage:
    def test_a_dutch_user_on_an_english_browser_sees_dutch(self, client, referrer):
        assert referrer.language == "nl"
        verified_login(client, referrer)
        response = client.get(reverse("referrals:case_list"), **ENGLISH_BROWSER)
        assert response["Content-Language"] == "nl"
        assert '<html lang="nl">' in response.content.decode()

    def test_an_english_profile_wins_over_a_dutch_cookie(self, client, referrer):
        referrer.language = "en"
        referrer.save()
        verified_login(client, referrer)
        client.cookies["django_language"] = "nl"
        assert client.get(reverse("referrals:case_list"))["Content-Language"] == "en"

    def test_the_switch_changes_the_profile_and_logs_it(self, client, referrer):
        verified_login(client, referrer)
        response = client.post(reverse("set_language"), {"language": "en", "next": reverse("referrals:case_list")})
        assert response.status_code == 302 and response["Location"] == reverse("referrals:case_list")
        referrer.refresh_from_db()
        assert referrer.language == "en"
        assert Event.objects.get(action="user.language_changed").data == {"language": "en"}
        assert client.get(reverse("referrals:case_list"), HTTP_ACCEPT_LANGUAGE="nl")["Content-Language"] == "en"

    def test_an_unknown_language_changes_nothing(self, client, referrer):
        verified_login(client, referrer)
        client.post(reverse("set_language"), {"language": "xx"})
        referrer.refresh_from_db()
        assert referrer.language == "nl" and not Event.objects.filter(action="user.language_changed").exists()

    def test_the_404_and_403_pages_follow_the_profile(self, client, referrer):
        verified_login(client, referrer)
        not_found = client.get("/cases/00000000-0000-0000-0000-000000000000/", **ENGLISH_BROWSER)
        assert not_found.status_code == 404 and '<html lang="nl">' in not_found.content.decode()
        forbidden = client.get(reverse("meetings:queue"), **ENGLISH_BROWSER)
        assert forbidden.status_code == 403 and '<html lang="nl">' in forbidden.content.decode()

    def test_pdf_file_names_follow_the_profile(self, client, chair):
        meeting = planned_meeting(chair)
        verified_login(client, chair)
        response = client.get(reverse("meetings:minutes_pdf", args=[meeting.pk]), **ENGLISH_BROWSER)
        assert f'filename="mdo-notulen-{meeting.date:%Y-%m-%d}.pdf"' in response["Content-Disposition"]
        chair.language = "en"
        chair.save()
        response = client.get(reverse("meetings:agenda_pdf", args=[meeting.pk]))
        assert f'filename="mdt-agenda-{meeting.date:%Y-%m-%d}.pdf"' in response["Content-Disposition"]

    def test_anonymous_visitors_keep_the_browsers_language(self, client):
        response = client.get(reverse("accounts:login"), **ENGLISH_BROWSER)
        assert response["Content-Language"] == "en"

    @pytest.mark.parametrize("new_password", [
        "kort",               # too short
        "12345678901234",     # only digits
        "cookiemonster",      # a common password
        "verwijzer1234",      # too like the user name (verwijzer)
    ])
    def test_every_password_rule_speaks_the_profiles_language(self, client, referrer, new_password):
        verified_login(client, referrer)
        response = client.post(reverse("accounts:password_change"), {
            "old_password": "a-long-test-password-1", "new_password1": new_password,
            "new_password2": new_password}, **ENGLISH_BROWSER)
        errors = response.context["form"].errors["new_password2"]
        assert errors, new_password
        for error in errors:
            assert "wachtwoord" in error.lower() and "password" not in error.lower().replace("wachtwoord", ""), error
