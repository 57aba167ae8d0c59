"""Keep patient data out of the application log, also when the database reports an error.

The text of a database error can hold the values of the row it failed on. PostgreSQL writes
`DETAIL:  Key (hospital_id, patient_number)=(2, P100000) already exists.` or `Failing row contains
(..., P100001, null, J., 1960-05-17, female, 111222333, ...)`, and even the first line can quote a
value (`invalid input syntax for type integer: "P100002"`). Django logs the traceback of every
500 with that text in it, twice (its own wrapper and the driver's original error).

RedactDatabaseErrors sits on every handler (settings.LOGGING), so it sees every record of every
logger. It replaces the whole text of each error that comes from the database driver with what IT
needs to find the fault, none of it data: the exception type (printed by the traceback as before),
the SQLSTATE (SQLite: its error name), and the names of the constraint, table and column. The
frames of the traceback (file, line, function, source line) stay as they were.

Also:
* a database error passed as a log argument (`logger.warning("... %s", exc)`) is replaced the same way;
* PostgreSQL's DETAIL/HINT/CONTEXT/QUERY lines are removed from any message text, as a second line
  of defence (a message that already holds an error's text, formatted by the caller);
* Django's SQL log (`django.db.backends`, DEBUG level) writes each statement with its values filled
  in; it keeps the duration and the database alias, not the statement or its parameters.

Not covered: a caller who formats an error's first line into the message text itself
(`logger.error(f"... {exc}")`); log the error as an argument or with exc_info instead.
"""

import logging
import re
import sqlite3
import traceback
from collections.abc import Mapping

from django.db import Error as DjangoDatabaseError

try:
    import psycopg
except ImportError:  # SQLite-only installation
    psycopg = None

DRIVER_ERRORS = (sqlite3.Error,) + ((psycopg.Error,) if psycopg else ())

# PostgreSQL's fields after the primary message, as libpq writes them, one per line.
_DETAIL_LINE = re.compile(r"^(\s*)(DETAIL|HINT|CONTEXT|QUERY|STATEMENT|WHERE|LINE \d+):.*$", re.MULTILINE)


def from_database(exc):
    """An error the database (driver) raised, or Django's wrapper of one. Django's own
    DatabaseErrors without a driver error behind them ("Save with update_fields did not affect any
    rows.") are Django's text and keep it."""
    if isinstance(exc, DRIVER_ERRORS):
        return True
    return isinstance(exc, DjangoDatabaseError) and isinstance(exc.__cause__, DRIVER_ERRORS)


def describe(exc):
    """The error without its text: '[details removed: SQLSTATE 23505, constraint ..., table ...]'."""
    facts = []
    # Django's wrapper (django.db.utils.IntegrityError) holds the driver's error as its cause.
    driver_error = exc if isinstance(exc, DRIVER_ERRORS) else exc.__cause__
    if psycopg and isinstance(driver_error, psycopg.Error):
        diag = driver_error.diag
        facts += [f"SQLSTATE {driver_error.sqlstate}" if driver_error.sqlstate else ""]
        facts += [f"{label} {value}" for label, value in (
            ("constraint", diag.constraint_name), ("table", diag.table_name), ("column", diag.column_name))
            if value]
    elif isinstance(driver_error, sqlite3.Error):
        facts.append(getattr(driver_error, "sqlite_errorname", ""))
    facts.append(connection_cause(driver_error))
    facts = [fact for fact in facts if fact]
    return "[details removed" + (": " + ", ".join(facts) if facts else "") + "]"


# What a failed connection says, in words an operator acts on (the driver's text is not logged:
# only which of these it matched, and the address the application tried, from its own settings).
_CONNECTION_CAUSES = (
    ("connection refused", "connection refused"),
    ("timeout expired", "connection timed out"),
    ("timed out", "connection timed out"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("no route to host", "no route to host"),
    ("password authentication failed", "authentication failed"),
    ("no password supplied", "authentication failed"),
    ("does not exist", "database or role does not exist"),
    ("too many connections", "too many connections"),
    ("the database system is starting up", "database starting up"),
    ("the database system is shutting down", "database shutting down"),
    ("server closed the connection unexpectedly", "server closed the connection"),
    ("unable to open database file", "database file cannot be opened"),
)


def connection_cause(driver_error):
    """For an error of connecting to the database: "connection refused to 127.0.0.1:5432 (database
    mdo)"; '' for any other error. Built from the settings and a fixed list of causes, so it holds
    no patient data."""
    if driver_error is None:
        return ""
    operational = (psycopg and isinstance(driver_error, psycopg.OperationalError)) or isinstance(
        driver_error, sqlite3.OperationalError)
    sqlstate = getattr(driver_error, "sqlstate", None) or ""
    if not operational or (sqlstate and not sqlstate.startswith(("08", "28", "3D", "53", "57P"))):
        return ""
    text = str(driver_error).lower()
    cause = next((words for needle, words in _CONNECTION_CAUSES if needle in text), "")
    if not cause:
        return ""
    from django.conf import settings

    database = settings.DATABASES.get("default", {})
    if database.get("ENGINE", "").endswith("sqlite3"):
        return f"{cause} ({database.get('NAME')})"
    return f"{cause} to {database.get('HOST') or 'localhost'}:{database.get('PORT') or 5432} " \
           f"(database {database.get('NAME')})"


def database_errors(exc):
    """The database errors in `exc` and the exceptions chained to it, as the traceback prints them."""
    found, seen, todo = [], set(), [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if from_database(current):
            found.append(current)
        todo += [current.__cause__, current.__context__, *getattr(current, "exceptions", ())]
    return found


def redact_text(text, errors=()):
    for error in errors:
        original = str(error)
        if original:
            text = text.replace(original, describe(error))
    return _DETAIL_LINE.sub(r"\1\2: [removed]", text)


def _argument(value):
    if isinstance(value, BaseException) and from_database(value):
        return f"{type(value).__name__} {describe(value)}"
    return value


class RedactDatabaseErrors(logging.Filter):
    def filter(self, record):
        try:
            self._redact(record)
        except Exception:
            # A log filter must never break the code that logs, nor let an unchecked record through.
            record.msg, record.args, record.exc_info, record.exc_text = (
                "[log record withheld: it could not be checked for patient data]", None, None, None)
        return True

    def _redact(self, record):
        if record.name == "django.db.backends" and hasattr(record, "sql"):
            record.msg = "(%.3f) [statement and parameters not logged]; alias=%s"
            record.args = (record.duration, record.alias)
            record.sql = record.params = "[removed]"
            return

        errors = []
        if record.exc_info and record.exc_info[1] is not None:
            errors = database_errors(record.exc_info[1])
            if errors:
                formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
                # The formatter prints exc_text as given; without exc_info nothing later can print
                # the original again.
                record.exc_text = redact_text(formatted, errors)
                record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)

        if record.args:
            if isinstance(record.args, Mapping):
                record.args = {key: _argument(value) for key, value in record.args.items()}
            else:
                record.args = tuple(_argument(value) for value in record.args)
        message = record.getMessage()
        redacted = redact_text(message, errors)
        if redacted != message:
            record.msg, record.args = redacted, None
