"""Clinical screens speak words, not internal codes (issue 12 item 13).

Outcome codes (NEURO_ONC_MDO_QOL), box ids (P_TREATMENT_WISH, L1_RADIOTHERAPY_LEGAL) and the raw
rule-set string stay in the JSON and in a collapsed technical detail; the visible text of every
clinical page has none. One term per language: the English interface says MDT and Appendix, never
MDO or Bijlage (the glossary).
"""

import re

import pytest
from django.urls import reverse

from audit.actor import Actor
from meetings import services
from tests.conftest import speak, verified_login
from tests.workflow import planned_meeting, record_advice, register_quorum, submitted_case
from triage.presenters import rule_set_words

CODE = re.compile(r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b")


def visible(html):
    """The text a reader sees: no tags, no attributes, no script, no collapsed technical detail."""
    html = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<details class="[^"]*technical-detail[^"]*">.*?</details>', " ", html, flags=re.S)
    html = re.sub(r"<svg\b.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def pages(db, referrer, neuro_oncologist, chair):
    """Every clinical page of a case that went through an override, a meeting and its advice."""
    case = submitted_case(referrer)
    services.case_override_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                  outcome="NEURO_ONC_MDO_QOL", reason="Kwaliteit van leven.")
    meeting = planned_meeting(chair)
    item = services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
    register_quorum(meeting, chair)
    record_advice(item, chair)
    from meetings.models import AdviceReport

    report = AdviceReport.objects.get(advice__item=item)
    services.patient_letter_request(actor=Actor(user=referrer), report_id=report.pk)
    return [
        (chair, "casefile:case_detail", [case.pk]),
        (chair, "casefile:case_timeline", [case.pk]),
        (chair, "casefile:case_advice", [case.pk, case.current_advice_id]),
        (chair, "meetings:meeting_detail", [meeting.pk]),
        (chair, "meetings:item_advice", [item.pk]),
        (chair, "meetings:agenda_print", [meeting.pk]),
        (neuro_oncologist, "meetings:queue", []),
        (referrer, "referrals:case_list", []),
        (referrer, "casefile:case_detail", [case.pk]),
        # The pages added after issue 12: the minutes, the live session, the MDO report and the
        # patient's letter, the patient's path, follow-up and the quality dashboard.
        (chair, "meetings:minutes_print", [meeting.pk]),
        (chair, "meetings:live_item", [meeting.pk, item.pk]),
        (referrer, "casefile:report", [case.pk, report.pk]),
        (referrer, "casefile:patient_letter", [case.pk, report.pk]),
        (referrer, "casefile:patient_path", [case.patient_id]),
        (referrer, "followup:implementation", [case.pk]),
        (referrer, "followup:plan", [case.pk]),
        (referrer, "followup:overdue", []),
        (chair, "quality:dashboard", []),
    ]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_internal_code_is_visible_on_a_clinical_page(client, pages, lang):
    for user, name, args in pages:
        client.logout()
        verified_login(client, user)
        speak(client, lang)
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.status_code)
        text = visible(response.content.decode())
        assert CODE.findall(text) == [], (name, lang)
        assert "lwno-" not in text, (name, lang)


def test_the_english_interface_says_mdt_and_appendix(client, pages):
    for user, name, args in pages:
        client.logout()
        verified_login(client, user)
        speak(client, "en")
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        # The guideline is quoted word for word, in Dutch (marked lang="nl"), with its translation.
        text = visible(re.sub(r'<blockquote[^>]*lang="nl"[^>]*>.*?</blockquote>', " ", html, flags=re.S))
        # A case reference (MDO-FC73453D) is an identifier, the same in both languages.
        assert not re.search(r"\bMDO\b(?!-[0-9A-F]{8})", text), (name, re.findall(r".{40}\bMDO\b.{20}", text)[:3])
        assert "Bijlage" not in text, name


def test_the_rule_set_is_in_words_and_the_code_in_the_technical_detail(client, pages, chair):
    _user, name, args = pages[0]
    verified_login(client, chair)
    content = client.get(reverse(name, args=args)).content.decode()
    assert "LWNO-leidraad, regels 2025.2: KPS ≥ 70, prognose &gt; 3 maanden" in content
    detail = re.search(r'<details class="[^"]*technical-detail[^"]*">.*?</details>', content, re.S).group(0)
    assert "lwno-2025.2;kps&gt;=70" in detail


def test_rule_set_words_reads_the_version_and_leaves_anything_else_alone():
    assert rule_set_words("lwno-2025.1;kps>=80;prog>2.5;diam>10;band<=20", "nl") == (
        "LWNO-leidraad, regels 2025.1: KPS ≥ 80, prognose > 2,5 maanden, grootste metastase > 10 mm "
        "(toelichting tot 20 mm)")
    assert rule_set_words("something-else", "en") == "something-else"
