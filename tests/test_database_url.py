"""DATABASE_URL → DATABASES (mdo.env): PostgreSQL with server-side binding and prepared statements
(issue 17), each switchable in the URL for a connection pooler; bad values refused by name."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mdo.env import parse_database_url

BASE = Path("/srv/mdo")


def options(url):
    return parse_database_url(url, base_dir=BASE)["OPTIONS"]


def test_postgresql_binds_on_the_server_and_prepares_a_query_run_five_times():
    assert options("postgres://u@db:5432/mdo") == {"server_side_binding": True, "prepare_threshold": 5}


@pytest.mark.parametrize(("query", "expected"), [
    ("prepare_threshold=none", {"server_side_binding": True, "prepare_threshold": None}),
    ("prepare_threshold=0", {"server_side_binding": True, "prepare_threshold": 0}),
    ("server_side_binding=false", {}),
    ("server_side_binding=false&prepare_threshold=5", {"prepare_threshold": 5}),
    ("sslmode=require", {"server_side_binding": True, "prepare_threshold": 5, "sslmode": "require"}),
])
def test_the_url_switches_them_for_a_pooler(query, expected):
    assert options(f"postgres://u@db/mdo?{query}") == expected


@pytest.mark.parametrize("query", ["prepare_threshold=often", "server_side_binding=maybe"])
def test_a_bad_switch_is_refused_by_its_name(query):
    with pytest.raises(ImproperlyConfigured, match=query.split("=")[0]):
        parse_database_url(f"postgres://u:secret@db/mdo?{query}", base_dir=BASE)


def test_sqlite_has_no_options():
    assert "OPTIONS" not in parse_database_url("sqlite:///db.sqlite3", base_dir=BASE)
