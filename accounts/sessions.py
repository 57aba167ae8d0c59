"""The database session store: the session, its user, the user's hospital and the 2FA device check in
one query per logged-in request (issue 17, target 1).

Django's db backend reads the session (`Session.objects.get(session_key=..., expire_date__gt=now)`)
and then, once it knows whose the session is, the user: two round trips to the database on every
page, the larger part of the logged-in floor's cost (docs/performance.md). Here the session row
(accounts.models.Session) carries the user's id and the verified TOTP device's id in two columns,
written from the session's data at every save, so one SELECT joins the user, the hospital and the
device's EXISTS (accounts.backends.UserQuery writes it once per process).

The signed, encoded session data stays the authority: the joined user is handed to the
authentication backend (`prefetched_user`, through accounts.middleware.OTPMiddleware) only when the
data's user id and device id are the columns' ones; otherwise the backend reads the user itself, as
before. Saving, creating and deleting a session are Django's own (the save happens at most once a
minute, accounts.middleware).
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.db import connections, router
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.backends import totp_device_pk, user_query
from accounts.models import Session


def _user_pk(data):
    try:
        return int(data.get(SESSION_KEY))
    except (TypeError, ValueError):
        return None


class SessionStore(DbSessionStore):
    # (user id as in the session data, device pk, user or None), set by load() when they agree.
    prefetched_user = None

    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_pk = _user_pk(data)
        session.device_pk = totp_device_pk(data.get(DEVICE_ID_SESSION_KEY))
        return session

    def load(self):
        self.prefetched_user = None
        row = self._session_row_from_db()
        if row is None:
            return {}
        data = self.decode(row["data"])
        device_pk = totp_device_pk(data.get(DEVICE_ID_SESSION_KEY))
        if row["user_pk"] is not None and row["user_pk"] == _user_pk(data) and row["device_pk"] == device_pk:
            self.prefetched_user = (str(row["user_pk"]), device_pk, row["user"])
        return data

    def _session_row_from_db(self):
        key = self.session_key
        if not key:
            self._session_key = None
            return None
        using = router.db_for_read(self.model)
        connection = connections[using]
        sql = user_query.prepared(connection, using)["session_sql"]
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return {"data": row[0], "user_pk": row[1], "device_pk": row[2],
                "user": user_query.build(row[3:], using, connection)}
