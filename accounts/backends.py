"""Authentication backend: Django's ModelBackend, with the permissions taken from the role.

The role is the single source of truth for what a user may do (accounts.roles): User.save() puts
the user in the role's group and `sync_role_groups` gives each group exactly the permissions of
ROLE_PERMISSIONS. Answering from that table instead of the database gives the same result
without the two permission queries Django makes on every page that checks a permission.

get_user, run once per logged-in request, reads the user, the hospital and (issue 17) whether
the two-factor device named in the session is still the user's and confirmed, in one query:
accounts.middleware.OTPMiddleware puts that device's id in `session_device` while Django's
AuthenticationMiddleware loads the user. The query's SQL is written once per process from the
models' metadata (UserQuery): the ORM took about 1 ms of CPU per request to build the same
statement again, several times the floor's bare view (measured in docs/performance.md, issue 17).
"""

from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections, router
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Session
from accounts.roles import ROLE_PERMISSIONS

UserModel = get_user_model()

# The primary key of the TOTP device the session says verified this user, or None.
session_device = ContextVar("session_device", default=None)
# (user id, device pk, user or None) as the session's own query read them (accounts.sessions), or None.
session_user = ContextVar("session_user", default=None)
TOTP_PREFIX = f"{TOTPDevice._meta.app_label}.{TOTPDevice._meta.model_name}/"


def totp_device_pk(persistent_id):
    """The TOTP device's primary key in django-otp's persistent id ("otp_totp.totpdevice/5"), or None."""
    if not isinstance(persistent_id, str) or not persistent_id.startswith(TOTP_PREFIX):
        return None
    try:
        return int(persistent_id[len(TOTP_PREFIX):])
    except ValueError:
        return None


class UserQuery:
    """SELECT user.*, hospital.*, EXISTS(the session's device, this user's, confirmed) for one user id.

    The same row Django's `select_related("hospital")` reads, with the columns and converters of
    the models' concrete fields (so a field added to User or Hospital is read too), built into
    instances with Model.from_db as the ORM does. tests/test_two_factor_session.py compares the
    result with the ORM's, field by field.
    """

    def __init__(self):
        self._prepared = {}

    def _prepare(self, connection):
        qn = connection.ops.quote_name
        hospital_field = UserModel._meta.get_field("hospital")
        Hospital = hospital_field.related_model
        parts = []
        for model, alias in ((UserModel, "u"), (Hospital, "h")):
            fields = model._meta.concrete_fields
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(alias)
                found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
                if found:
                    converters.append((index, column, found))
            parts.append((model, [f.attname for f in fields], [f"{alias}.{qn(f.column)}" for f in fields],
                          converters))
        device = TOTPDevice._meta
        columns = ", ".join(parts[0][2] + parts[1][2])

        def device_ok(device_pk):
            return (f"EXISTS(SELECT 1 FROM {qn(device.db_table)} d "  # noqa: S608 - quoted names from the models
                    f"WHERE d.{qn(device.pk.column)} = {device_pk} AND d.{qn(device.get_field('user').column)} = "
                    f"u.{qn(UserModel._meta.pk.column)} AND d.{qn(device.get_field('confirmed').column)})")

        joins = (f"LEFT OUTER JOIN {qn(Hospital._meta.db_table)} h "
                 f"ON h.{qn(Hospital._meta.pk.column)} = u.{qn(hospital_field.column)}")
        sql = (f"SELECT {columns}, {device_ok('%s')} FROM {qn(UserModel._meta.db_table)} u {joins} "  # noqa: S608 - quoted names
               f"WHERE u.{qn(UserModel._meta.pk.column)} = %s")
        # accounts.sessions: the session row with its user (the two columns of accounts.models.Session).
        session = Session._meta
        session_sql = (
            f"SELECT s.{qn('session_data')}, s.{qn('user_pk')}, s.{qn('device_pk')}, {columns}, "  # noqa: S608 - quoted names
            f"{device_ok('s.' + qn('device_pk'))} FROM {qn(session.db_table)} s "
            f"LEFT OUTER JOIN {qn(UserModel._meta.db_table)} u "
            f"ON u.{qn(UserModel._meta.pk.column)} = s.{qn('user_pk')} "
            f"{joins} WHERE s.{qn('session_key')} = %s AND s.{qn('expire_date')} > %s"
        )
        return {"sql": sql, "session_sql": session_sql, "parts": parts, "hospital_field": hospital_field}

    def prepared(self, connection, using):
        if using not in self._prepared:
            self._prepared[using] = self._prepare(connection)
        return self._prepared[using]

    def build(self, row, using, connection):
        """The user (with .hospital and .otp_device_ok) from the user and hospital columns and the
        EXISTS of a row of one of the two queries (None when the user column is NULL)."""
        prepared = self.prepared(connection, using)
        objects, start = [], 0
        for model, attnames, _columns, converters in prepared["parts"]:
            values = list(row[start:start + len(attnames)])
            for index, column, found in converters:
                for converter in found:
                    values[index] = converter(values[index], column, connection)
            objects.append(None if values[0] is None else model.from_db(using, attnames, values))
            start += len(attnames)
        user, hospital = objects
        if user is None:
            return None
        prepared["hospital_field"].set_cached_value(user, hospital)
        user.otp_device_ok = bool(row[-1])
        return user

    def get(self, user_id, device_pk):
        """The user (with .hospital and .otp_device_ok) or None."""
        using = router.db_for_read(UserModel) or DEFAULT_DB_ALIAS
        connection = connections[using]
        sql = self.prepared(connection, using)["sql"]
        try:
            user_pk = UserModel._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 - a malformed id in a session is no user, as in ModelBackend
            return None
        with connection.cursor() as cursor:
            cursor.execute(sql, [device_pk, user_pk])
            row = cursor.fetchone()
        return None if row is None else self.build(row, using, connection)


user_query = UserQuery()


class RoleBackend(ModelBackend):
    def get_user_permissions(self, user_obj, obj=None):
        # Permissions are never given to a user directly (the admin does not offer it).
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(ROLE_PERMISSIONS.get(user_obj.role, ()))

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        return self.get_group_permissions(user_obj, obj)

    def get_user(self, user_id):
        # Every page shows the user's hospital and checks access against it; `otp_device_ok`
        # (read by OTPMiddleware): the session's device still exists, is still this user's and
        # still confirmed, checked on every request in the same query.
        # The session's own query has read the user already when its columns and data agree
        # (accounts.sessions); otherwise, or for a session of another device, the one query here.
        device_pk = session_device.get()
        prefetched = session_user.get()
        if prefetched is not None and prefetched[0] == str(user_id) and prefetched[1] == device_pk:
            user = prefetched[2]
        else:
            user = user_query.get(user_id, device_pk)
        return user if user is not None and self.user_can_authenticate(user) else None
