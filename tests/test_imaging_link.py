"""The link to the images and the accession number, asked in the intake's imaging step (issue 13
item 1): optional; the link only http or https (it is opened from the live session), with a
message at the field in Dutch and English; what else was typed is stored."""

import pytest

from referrals.forms import ImagingForm
from tests.conftest import speak
from tests.intake_helpers import imaging_data
from tests.test_intake import draft_of, post_step, step_url

pytestmark = pytest.mark.django_db

LINK = "https://pacs.noord.example/viewer?study=1.2.840.113619"


def test_the_step_asks_for_the_link_and_the_accession_number(referrer_client, referrer):
    case = draft_of(referrer, with_lesion=False)
    speak(referrer_client, "nl")
    page = referrer_client.get(step_url(case, "imaging")).content.decode()
    assert 'name="imaging_url"' in page and 'name="accession_number"' in page
    assert "Link naar de beelden (viewer of PACS)" in page and "Accessionnummer" in page


def test_a_valid_link_and_number_are_stored_and_shown_on_the_review(referrer_client, referrer):
    case = draft_of(referrer, with_lesion=False)
    response = post_step(referrer_client, case, "imaging",
                         imaging_data(imaging_url=LINK, accession_number="ACC-77"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.imaging_url, case.accession_number) == (LINK, "ACC-77")
    review = referrer_client.get(step_url(case, "review")).content.decode()
    assert "ACC-77" in review


def test_both_are_optional(referrer_client, referrer):
    case = draft_of(referrer, with_lesion=False)
    assert post_step(referrer_client, case, "imaging", imaging_data()).status_code == 302
    case.refresh_from_db()
    assert (case.imaging_url, case.accession_number) == ("", "")
    assert "imaging" in case.completed_steps


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "ftp://pacs.example/1", "file:///etc/passwd",
                                   "data:text/html,hallo", "https://", "niet een link met spaties"])
def test_a_link_that_is_not_http_or_https_is_refused_at_the_field_in_dutch(referrer_client, referrer, typed):
    case = draft_of(referrer, with_lesion=False)
    speak(referrer_client, "nl")
    response = post_step(referrer_client, case, "imaging", imaging_data(imaging_url=typed, accession_number="ACC-9"))
    assert response.status_code == 200
    assert response.context["form"].errors["imaging_url"] == [
        "Geef een webadres dat begint met http:// of https://."]
    case.refresh_from_db()
    # Nothing typed is lost: the valid neighbours are stored, the wrong link is shown again.
    assert case.imaging_url == "" and case.accession_number == "ACC-9"
    assert case.mri_date is not None


def test_the_message_in_english(referrer_client, referrer):
    case = draft_of(referrer, with_lesion=False)
    speak(referrer_client, "en")
    response = post_step(referrer_client, case, "imaging", imaging_data(imaging_url="javascript:alert(1)"))
    assert response.context["form"].errors["imaging_url"] == [
        "Give a web address that starts with http:// or https://."]


def test_a_link_without_scheme_becomes_https():
    form = ImagingForm(data={"imaging_url": "pacs.noord.example/study/1"})
    form.is_valid()
    assert form.cleaned_data["imaging_url"] == "https://pacs.noord.example/study/1"


def test_the_model_refuses_a_non_web_link_too():
    from django.core.exceptions import ValidationError

    from referrals.models import Case
    field = Case._meta.get_field("imaging_url")
    with pytest.raises(ValidationError):
        field.run_validators("ftp://pacs.example/1")
    field.run_validators("http://pacs.example/1")
