"""Lists without a count of everything (mdo.paging; issue 17, target 5) and notices that stop
counting at a hundred: the cost of the case list and the queue does not grow with the database."""

import pytest
from django.urls import reverse

from followup import presenters
from mdo.paging import MAX_PAGE, list_page
from referrals.models import Case
from tests.workflow import submitted_case


@pytest.fixture
def five_cases(referrer):
    return [submitted_case(referrer) for _index in range(5)]


@pytest.mark.django_db
class TestListPage:
    def test_one_row_more_says_whether_a_next_page_exists(self, five_cases, django_assert_num_queries):
        cases = Case.objects.order_by("created_at", "id")
        with django_assert_num_queries(1):
            first = list_page(cases, "1", 2)
            rows = list(first)
        assert [case.pk for case in rows] == [case.pk for case in five_cases[:2]]
        assert (first.number, first.has_next(), first.has_previous(), first.has_other_pages()) == (1, True, False, True)
        last = list_page(cases, "3", 2)
        assert [case.pk for case in last] == [five_cases[4].pk]
        assert (last.has_next(), last.has_previous(), last.previous_page_number()) == (False, True, 2)
        exact = list_page(cases, "1", 5)
        assert len(exact) == 5 and not exact.has_other_pages()

    @pytest.mark.parametrize("number", ["", "abc", "0", "-3", str(MAX_PAGE + 1), "1e9", None])
    def test_a_page_number_that_is_not_one_is_the_first_page(self, five_cases, number):
        page = list_page(Case.objects.order_by("created_at", "id"), number, 2)
        assert page.number == 1 and len(page) == 2

    def test_a_page_past_the_end_is_the_first_page(self, five_cases):
        page = list_page(Case.objects.order_by("created_at", "id"), "9", 2)
        assert page.number == 1 and page.has_next()

    def test_the_case_list_pages_without_a_total(self, referrer_client, five_cases, monkeypatch):
        monkeypatch.setattr("referrals.views.cases.PAGE_SIZE", 2)
        response = referrer_client.get(reverse("referrals:case_list"), {"page": "2"})
        html = response.content.decode()
        assert response.status_code == 200 and len(response.context["rows"]) == 2
        assert "Pagina 2<" in html  # the referrer's profile speaks Dutch; no "van 3": nothing counted
        assert "page=1" in html and "page=3" in html
        response = referrer_client.get(reverse("referrals:case_list"), {"page": "3"})
        assert len(response.context["rows"]) == 1 and "page=4" not in response.content.decode()


@pytest.mark.django_db
def test_a_notice_counts_to_its_cap_and_says_so(referrer, chair, referrer_client, monkeypatch):
    """The counts behind the case list's notices stop at NOTICE_CAP rows and say "N+"."""
    from tests.test_followup import make_plan

    monkeypatch.setattr(presenters, "NOTICE_CAP", 2)
    make_plan(referrer, chair, days_ago=120)

    def overdue():
        notices = referrer_client.get(reverse("referrals:case_list")).context["notices"]
        return next(notice for notice in notices if notice["kind"] == "overdue")

    first = overdue()
    assert first["count"] == 1 and first["text"].startswith("1 ")
    make_plan(referrer, chair, days_ago=120)
    make_plan(referrer, chair, days_ago=120)
    capped = overdue()
    assert capped["count"] == 2 and capped["text"].startswith("2+ ")
    # The list behind the notice shows them all.
    assert len(referrer_client.get(reverse("followup:overdue")).context["overdue"]) == 3
