"""A stored advice's panel (steps, missing facts, SVG diagram) is rendered once per advice and
language (issue 17: triage.presenters.stored_advice_panel), and the page shows the same HTML."""

import pytest
from django.urls import reverse

from tests.conftest import speak, verified_login
from tests.workflow import submitted_case
from triage import presenters

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """Counts the builds of the panel's context (the steps and the diagram)."""
    calls = []
    original = presenters.advice_context

    def counting(advice, lang=None):
        calls.append((advice.pk, lang))
        return original(advice, lang)

    monkeypatch.setattr(presenters, "advice_context", counting)
    return calls


def test_a_second_view_does_not_render_the_advice_again(client, referrer, renders):
    case = submitted_case(referrer)
    verified_login(client, referrer)
    url = reverse("casefile:case_detail", args=[case.pk])
    first = client.get(url).content.decode()
    second = client.get(url).content.decode()
    assert len(renders) == 1
    assert "<svg" in first and first.count("<svg") == second.count("<svg")
    panel = first[first.index('<section class="advice-panel'):].split("</section>", 1)[0]
    assert panel in second


def test_each_language_gets_its_own_rendering(client, referrer, renders):
    case = submitted_case(referrer)
    verified_login(client, referrer)
    url = reverse("casefile:case_detail", args=[case.pk])
    speak(client, "nl")
    dutch = client.get(url).content.decode()
    speak(client, "en")
    english = client.get(url).content.decode()
    client.get(url)
    assert [lang for _pk, lang in renders] == ["nl", "en"]
    assert "Triage-advies" in dutch and "How the guideline" not in dutch
    assert "Triage advice" in english and "How the guideline leads to this advice" in english


def test_the_advice_page_uses_the_same_rendering(client, referrer, renders):
    case = submitted_case(referrer)
    verified_login(client, referrer)
    client.get(reverse("casefile:case_detail", args=[case.pk]))
    response = client.get(reverse("casefile:case_advice", args=[case.pk, case.current_advice_id]))
    assert response.status_code == 200 and "<svg" in response.content.decode()
    assert len(renders) == 1


def test_another_advice_is_rendered_for_itself(client, referrer, renders):
    first, second = submitted_case(referrer), submitted_case(referrer)
    verified_login(client, referrer)
    for case in (first, second, first, second):
        client.get(reverse("casefile:case_detail", args=[case.pk]))
    assert sorted(pk for pk, _lang in renders) == sorted([first.current_advice_id, second.current_advice_id])


def test_a_new_release_renders_again(client, referrer, renders, monkeypatch):
    """The key holds a digest of the template, the code and the translations."""
    case = submitted_case(referrer)
    verified_login(client, referrer)
    url = reverse("casefile:case_detail", args=[case.pk])
    client.get(url)
    monkeypatch.setattr(presenters, "render_revision", lambda: "another-release")
    client.get(url)
    assert len(renders) == 2
