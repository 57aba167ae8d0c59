"""The layout on a 1366 x 768 laptop screen, in Dutch (the longer words): the navigation bar is one
line, NL and EN stand side by side, no date in a list wraps, and the print view's column heads
break between words only."""

import pytest

from audit.actor import Actor
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tests.workflow import advised_case, planned_meeting, scheduled_case, submitted_case, time_passes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}

# Vertical centres of everything in the bar, the height of the bar and of its tallest item.
NAVBAR = """() => {
  const bar = document.querySelector('nav.navbar');
  const items = [...bar.querySelectorAll('.navbar-brand, .nav-link, .navbar-text, .btn')]
    .filter(el => el.offsetParent !== null);
  const box = el => el.getBoundingClientRect();
  const lines = el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  };
  return {
    height: box(bar).height,
    brand: box(bar.querySelector('.navbar-brand')).height,
    width: document.documentElement.clientWidth,
    items: items.map(el => ({text: el.textContent.trim(), middle: box(el).top + box(el).height / 2,
                             right: box(el).right,
                             height: box(el).height, lines: lines(el)})),
  };
}"""

# Cells whose text runs over more than one line: every text node's line boxes counted.
WRAPPED = """(selector) => [...document.querySelectorAll(selector)].filter(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return tops.size > 1;
}).map(cell => cell.textContent.trim())"""

# Heads with a word split over two lines: each word is put in a span of its own, and a span with
# two line boxes is a broken word. A head wider than its cell, or a table wider than its page, too.
BROKEN_WORDS = """() => {
  const broken = [];
  document.querySelectorAll('table').forEach(table => {
    const page = table.parentElement.getBoundingClientRect();
    if (table.getBoundingClientRect().right > page.right + 1) { broken.push('table too wide: ' + table.className); }
  });
  document.querySelectorAll('th').forEach(th => {
    if (th.scrollWidth > th.clientWidth + 1) { broken.push('too wide: ' + th.textContent.trim()); }
    th.innerHTML = th.textContent.trim().split(/\\s+/).map(w => '<span>' + w + '</span>').join(' ');
    th.querySelectorAll('span').forEach(span => {
      if (span.getClientRects().length > 1) { broken.push(span.textContent); }
    });
  });
  return broken;
}"""


@pytest.fixture
def laptop(browser, live_server):
    contexts = []

    def new(user):
        context = browser.new_context(locale="nl-NL", base_url=live_server.url, viewport=LAPTOP)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, user)
        return page

    yield new
    for context in contexts:
        context.close()


def assert_one_line_navbar(page):
    bar = page.evaluate(NAVBAR)
    assert bar["height"] <= bar["brand"] + 30, bar
    middles = [item["middle"] for item in bar["items"]]
    assert max(middles) - min(middles) <= 6, bar["items"]
    assert all(item["lines"] == 1 for item in bar["items"]), bar["items"]
    assert all(item["right"] <= bar["width"] for item in bar["items"]), bar["items"]
    languages = [page.locator(f".lang-switch button[value={code}]").bounding_box() for code in ("nl", "en")]
    assert abs(languages[0]["y"] - languages[1]["y"]) < 2 and languages[0]["x"] < languages[1]["x"], languages


@pytest.fixture
def privacy_officer(centre):
    return UserFactory(hospital=centre, role="privacy_officer")


@pytest.mark.parametrize("role", ["referrer", "neuro_oncologist", "chair", "admin_user", "privacy_officer"])
def test_the_dutch_menu_is_one_line_at_1366_pixels(laptop, request, role, centre):
    user = request.getfixturevalue(role)
    # The longest user line we expect: a full name, the role and a hospital with a long name.
    user.first_name, user.last_name = "Maria-Louise", "van den Berg-Scholten"
    user.save()
    page = laptop(user)
    page.goto("/mdo/meetings/" if role == "admin_user" else "/")
    assert_one_line_navbar(page)


def test_no_date_in_a_list_wraps_at_1366_pixels(laptop, referrer, neuro_oncologist, chair):
    from followup import services as followup_services

    submitted_case(referrer)
    scheduled_case(referrer, chair)
    planned_meeting(chair)
    # The list of what waits after the meeting: an advice without implementation status 100 days
    # on, and a follow-up MRI overdue.
    time_passes(advised_case(referrer, chair).item.meeting, days_ago=100)
    later = advised_case(referrer, chair)
    time_passes(later.item.meeting, days_ago=100)
    followup_services.plan_create(actor=Actor(user=referrer), case_id=later.item.case_id,
                                  values=followup_services.plan_proposal(later.item.case, later))
    pages = {}
    for user, url, cells in [
        (referrer, "/cases/", "table.case-table td.date"),
        (neuro_oncologist, "/mdo/queue/", "table td.date"),
        (chair, "/mdo/meetings/", "table.meeting-table td.date"),
        (referrer, "/followup/overdue/", "table td.date"),
        (neuro_oncologist, "/followup/overdue/", "table td.date"),
    ]:
        page = pages.get(user.pk) or pages.setdefault(user.pk, laptop(user))
        page.goto(url)
        assert page.locator(cells).count() >= 1, url
        assert page.evaluate(WRAPPED, cells) == [], url


def test_the_print_view_breaks_column_heads_between_words_only(laptop, referrer, chair):
    item = scheduled_case(referrer, chair)
    page = laptop(chair)
    for url in (f"/mdo/meetings/{item.meeting.pk}/print/", f"/mdo/meetings/{item.meeting.pk}/minutes/"):
        page.goto(url)
        assert page.evaluate(BROKEN_WORDS) == [], url
        page.goto(url)
        page.emulate_media(media="print")
        assert page.evaluate(BROKEN_WORDS) == [], url
        page.emulate_media(media="screen")


def test_a_long_hospital_name_keeps_the_menu_on_one_line(laptop, centre):
    user = UserFactory(username="lang", hospital=centre, role="chair", first_name="Maria-Louise",
                       last_name="van den Berg-Scholten")
    centre.name = "Universitair Medisch Centrum Neuro-oncologisch Centrum Noord-Nederland"
    centre.save()
    page = laptop(user)
    page.goto("/mdo/meetings/")
    assert_one_line_navbar(page)
