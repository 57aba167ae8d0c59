"""No patient data in the application log, also when the database reports an error.

A PostgreSQL error carries the values of the row it failed on (`DETAIL: Key (hospital_id,
patient_number)=(..., P100001) already exists.`, `Failing row contains (...)`), and Django writes the
traceback of every 500 to the log. These tests provoke such errors inside a real view and read what
the configured handler (settings.LOGGING) writes.
"""

import io
import logging

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from mdo.log_privacy import RedactDatabaseErrors
from referrals.models import Patient
from tests import test_security
from tests.conftest import verified_login
from tests.workflow import submitted_case

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def app_log():
    """What the application's own log handler writes (not caplog, which has a handler of its own)."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def duplicate_patient_number(patient):
    Patient.objects.create(hospital=patient.hospital, patient_number=patient.patient_number,
                           family_name="Tweede", given_names="K.", date_of_birth=patient.date_of_birth, sex="male")


def empty_family_name(patient):
    # NOT NULL: PostgreSQL quotes the whole failing row (number, names, date of birth, BSN).
    Patient.objects.filter(pk=patient.pk).update(family_name=None)


def number_as_integer(patient):
    # A DataError quotes the value in its first line: invalid input syntax for type integer: "P100001".
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::integer", [patient.patient_number])


@pytest.mark.parametrize("provoke", [duplicate_patient_number, empty_family_name, number_as_integer])
def test_a_database_error_in_a_view_leaves_no_patient_data_in_the_log(provoke, client, referrer, monkeypatch,
                                                                     app_log):
    case = submitted_case(referrer, patient={"bsn": "111222333"})
    patient = case.patient

    def unexpected_error(*args, **kwargs):
        with transaction.atomic():
            provoke(patient)

    monkeypatch.setattr("referrals.views.cases.cases_visible_to", unexpected_error)
    verified_login(client, referrer)
    client.raise_request_exception = False
    assert client.get(reverse("referrals:case_list")).status_code == 500

    text = app_log.getvalue()
    assert "Internal Server Error: /cases/" in text
    for secret in (patient.patient_number, patient.family_name, "111222333", "1960-05-17"):
        assert secret not in text, f"{secret} in the log:\n{text}"
    # What IT needs is still there: the kind of error and where it happened.
    assert "Error" in text and "Traceback" in text
    assert "referrals/views/cases.py" in text and "in case_list" in text
    assert f"in {provoke.__name__}" in text


def database_error(patient):
    """A real IntegrityError from the database in use, with the driver's error as its cause."""
    try:
        with transaction.atomic():
            duplicate_patient_number(patient)
    except IntegrityError as exc:
        return exc
    raise AssertionError("no IntegrityError")


def test_it_keeps_the_kind_of_error_its_code_and_where_in_the_schema(referrer, app_log):
    patient = submitted_case(referrer).patient
    exc = database_error(patient)
    try:
        raise exc
    except IntegrityError:
        logging.getLogger("referrals.services").exception("Saving failed")
    text = app_log.getvalue()
    assert patient.patient_number not in text and "Tweede" not in text
    assert "django.db.utils.IntegrityError: [details removed: " in text
    assert "in test_it_keeps_the_kind_of_error_its_code_and_where_in_the_schema" in text
    if POSTGRES:
        assert ("psycopg.errors.UniqueViolation: [details removed: SQLSTATE 23505, constraint "
                "patient_number_unique_per_hospital, table referrals_patient]") in text
        assert "DETAIL" not in text
    else:
        # SQLite's message names the columns only, but the rule is the same for every database.
        assert "sqlite3.IntegrityError: [details removed: SQLITE_CONSTRAINT_UNIQUE]" in text
        assert "UNIQUE constraint failed" not in text


def test_a_database_error_given_as_an_argument_is_redacted(referrer, app_log):
    patient = submitted_case(referrer).patient
    logging.getLogger("referrals.services").warning("Saving failed: %s (%r)", database_error(patient),
                                                    database_error(patient))
    text = app_log.getvalue()
    assert "Saving failed: IntegrityError [details removed" in text
    assert patient.patient_number not in text


def test_postgresql_detail_lines_are_removed_from_any_message(app_log):
    logging.getLogger("referrals").error("Import failed: duplicate key\nDETAIL:  Key (patient_number)=(P999) "
                                         "already exists.\nHINT:  Check P999.")
    text = app_log.getvalue()
    assert "P999" not in text
    assert "Import failed: duplicate key\nDETAIL: [removed]\nHINT: [removed]" in text


def test_the_sql_log_keeps_neither_the_statement_nor_its_values(referrer, app_log):
    patient = submitted_case(referrer).patient
    sql_log = logging.getLogger("django.db.backends")
    level = sql_log.level
    sql_log.setLevel(logging.DEBUG)  # setLevel, not .level: it clears the loggers' cached levels
    connection.force_debug_cursor = True
    try:
        Patient.objects.filter(patient_number=patient.patient_number).exists()
        assert patient.patient_number in connection.queries[-1]["sql"], "Django fills the values in"
    finally:
        connection.force_debug_cursor = False
        sql_log.setLevel(level)
    text = app_log.getvalue()
    assert "DEBUG django.db.backends (0." in text and "[statement and parameters not logged]; alias=default" in text
    assert patient.patient_number not in text


def test_other_errors_keep_their_text(app_log):
    for error in (ValueError("Unknown step 'clinical2'"),
                  # Django's own text, no driver error behind it.
                  DatabaseError("Save with update_fields did not affect any rows.")):
        try:
            raise error
        except Exception:
            logging.getLogger("referrals").exception("It failed")
    text = app_log.getvalue()
    assert "ValueError: Unknown step 'clinical2'" in text
    assert "django.db.utils.DatabaseError: Save with update_fields did not affect any rows." in text


def test_a_record_that_cannot_be_formatted_is_withheld_not_raised(app_log):
    logging.getLogger("referrals").warning("%s and %s", "only one argument")
    assert "[log record withheld: it could not be checked for patient data]" in app_log.getvalue()


def test_every_handler_of_every_logger_has_the_filter():
    loggers = [logging.getLogger()] + [logger for logger in logging.root.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    # pytest's capture handlers have no name; every configured handler has one.
    handlers = {handler for logger in loggers for handler in logger.handlers if handler.get_name()}
    assert handlers, "the configured handlers"
    for handler in handlers:
        assert any(isinstance(f, RedactDatabaseErrors) for f in handler.filters), handler.get_name()
    # Django's own (a console handler with DEBUG on, mail_admins) are gone.
    assert logging.getLogger("django").handlers == []


@pytest.mark.server
@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_server_writes_a_database_error_once_and_redacted(debug):
    """In a fresh process with the real settings: with DEBUG on, Django's default console handler
    used to print every django.request error a second time, unfiltered."""
    code = "\n".join([
        "import logging, sqlite3",
        "from django.db import IntegrityError",
        "try:",
        "    try:",
        "        raise sqlite3.IntegrityError('CHECK failed; Failing row contains (P100000, Jansen)')",
        "    except sqlite3.Error as exc:",
        "        raise IntegrityError(*exc.args) from exc",
        "except IntegrityError:",
        "    logging.getLogger('django.request').exception('Internal Server Error: /cases/')",
    ])
    environment = {**test_security.TestDeployment.PRODUCTION, "DEBUG": debug, "DATABASE_URL": "sqlite:///:memory:"}
    result = test_security.run_manage("shell", "-c", code, **environment)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Internal Server Error: /cases/") == 1, result.stderr
    assert "django.db.utils.IntegrityError: [details removed]" in result.stderr
    assert "P100000" not in result.stderr and "Jansen" not in result.stderr
