"""Strict parsers for settings read from the environment.

A bad value stops the start-up with a message that names the variable, instead of
letting the application run with a setting nobody intended.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of: 1/0, true/false, yes/no, on/off."
    )


def env_int(name, default, *, minimum=None, maximum=None):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name}={number} is outside {minimum}..{maximum}.")
    return number


def env_choice(name, default, choices):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().upper() in choices:
        return value.strip().upper()
    raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={value!r}: empty item in comma-separated list.")
    return items


PREPARE_THRESHOLD = 5  # psycopg's default once prepared statements are on


def _typed_option(key, value):
    """A DATABASE_URL query option as its connection parameter: the two switches of psycopg as
    True/False and a number or None; the others (sslmode, ...) as text, as libpq takes them."""
    if key == "server_side_binding":
        if value.lower() not in ("true", "false", "1", "0"):
            raise ImproperlyConfigured("DATABASE_URL: server_side_binding is true or false.")
        return value.lower() in ("true", "1")
    if key == "prepare_threshold":
        if value.lower() == "none":
            return None
        try:
            return int(value)
        except ValueError:
            raise ImproperlyConfigured("DATABASE_URL: prepare_threshold is a number or none.") from None
    return value


def parse_database_url(url, *, base_dir: Path):
    """Turn a DATABASE_URL into a Django DATABASES entry.

    Supported: sqlite:///relative/or/absolute/path, sqlite:////abs/path,
    postgres://user:password@host:port/name?sslmode=require (also postgresql://).

    PostgreSQL queries are sent with their parameters bound by the server, and a query run five
    times on a connection is prepared there (planned once): psycopg's `ServerBindingCursor` and
    `prepare_threshold=5` (issue 17: a page's CPU and the database's planning both drop; Django's
    default binds in Python and prepares nothing, for connection poolers). Behind a pooler in
    transaction mode without prepared-statement support (PgBouncer before 1.21, or without
    max_prepared_statements) add `?prepare_threshold=none` to the URL; `server_side_binding=false`
    returns to Django's default.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ImproperlyConfigured("DATABASE_URL: sqlite URL without a file path.")
        # sqlite:///db.sqlite3 is relative to the project; sqlite:////abs/db is absolute.
        path = path[1:]
        file_path = Path(path)
        if not file_path.is_absolute():
            file_path = base_dir / file_path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(file_path)}
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL: PostgreSQL URL without a database name.")
        try:
            port = parts.port
        except ValueError:
            # urllib's own message would not name the variable. The URL is not echoed: it may
            # hold the password.
            raise ImproperlyConfigured(
                "DATABASE_URL: the port is not a number from 0 to 65535."
            ) from None
        query = parse_qs(parts.query)
        options = {"server_side_binding": True, "prepare_threshold": PREPARE_THRESHOLD}
        for key, values in query.items():
            options[key] = _typed_option(key, values[-1])
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
        if not options["server_side_binding"]:
            # Django's default: bound in Python (its test is `is True`), and nothing prepared
            # unless the URL asks for it.
            options.pop("server_side_binding")
            if "prepare_threshold" not in query:
                options.pop("prepare_threshold")
        config["OPTIONS"] = options
        return config
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {scheme!r} is not supported; use sqlite:/// or postgres://."
    )
