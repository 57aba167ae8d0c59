"""A list page that does not count the whole list.

Django's Paginator counts every row the filter matches to say "page 3 of 412": at 100,000 cases a
hospital's case list or a centre's queue is thousands of rows, so the count grows with the
database while the page shows 25 (issue 17, target 5: a page costs the same at 10,000 and at
100,000 cases). A list page here reads one row more than it shows: that row says whether there is
a next page. The template says "page 3" with previous and next, not the total.

The object has the part of Django's Page the templates use (object_list, number, has_next,
has_previous, has_other_pages, next_page_number, previous_page_number), so
templates/includes/pagination.html serves both.
"""

MAX_PAGE = 10_000  # a typed ?page=10**9 must not become an OFFSET of billions


class ListPage:
    def __init__(self, object_list, number, has_next):
        self.object_list = object_list
        self.number = number
        self._has_next = has_next

    def has_next(self):
        return self._has_next

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self._has_next or self.number > 1

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __repr__(self):
        return f"<ListPage {self.number}{' +' if self._has_next else ''}>"


def list_page(queryset, number, size):
    """Page `number` (text from the query string; anything else than 1..MAX_PAGE is page 1) of an
    ordered `queryset`, `size` rows: one query. A page past the end gives the first page, as
    Django's get_page gives the last (which it can only know by counting)."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    if not 1 <= number <= MAX_PAGE:
        number = 1
    start = (number - 1) * size
    rows = list(queryset[start:start + size + 1])
    if not rows and number > 1:
        return list_page(queryset, 1, size)
    return ListPage(rows[:size], number, len(rows) > size)
