"""The idle timeout without a database write on every request.

The registry's sessions end ``SESSION_COOKIE_AGE`` (30 minutes) after the last request. Django
gets that with ``SESSION_SAVE_EVERY_REQUEST``: every signed-in request rewrites its session row
and commits — an UPDATE and a WAL flush per page view, the largest fixed cost of a signed-in
page after the templates (issue 15). Here a session is written when its data changed, as
Django does without that setting, or when its stored expiry has fallen more than
``SESSION_REFRESH_SECONDS`` (default 60) behind "now + SESSION_COOKIE_AGE": an active user's
session is pushed back at most once a minute, and the idle timeout counts from the last request
to within that minute (a session idle for 30 minutes ends between 29 and 30 minutes after the
last request that wrote it, never later).

``SessionStore`` (``SESSION_ENGINE = "cqo_registry.sessions"``) is Django's database store that
remembers the expiry it read; ``SessionMiddleware`` replaces Django's and asks it whether the
refresh is due.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    """Django's database session store, keeping the ``expire_date`` of the row it loaded
    (``stored_expiry``; ``None`` for a session not read from the database)."""

    stored_expiry = None

    def _get_session_from_db(self):
        if connections[router.db_for_read(self.model)].vendor == "postgresql":
            session = self._read_row()
        else:
            session = super()._get_session_from_db()
        self.stored_expiry = session.expire_date if session is not None else None
        return session

    def _read_row(self):
        """Django's read of the session row (the row of this key that has not expired, else
        ``None`` and no key: the session starts empty), as one plain statement: every
        signed-in request reads its session, and the ORM's ``get()`` spent ~0.4 ms of CPU
        building the same statement each time (issue 15). PostgreSQL only, whose driver
        gives the stored ``expire_date`` back as an aware datetime as the ORM does."""
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {table} "
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0], expire_date=row[1])

    def refresh_due(self, now=None) -> bool:
        """Whether the stored expiry lags "now + the session's age" by more than
        ``SESSION_REFRESH_SECONDS``: the session must be written for the idle timeout to count
        from this request. False for a session not loaded from the database (a new one is
        written anyway when it gets data)."""
        if self.stored_expiry is None:
            return False
        now = now or timezone.now()
        lag = now + timedelta(seconds=self.get_expiry_age()) - self.stored_expiry
        return lag > timedelta(seconds=settings.SESSION_REFRESH_SECONDS)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, writing an unchanged session only when its refresh is due
    (``SessionStore.refresh_due``), instead of on every request."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.accessed
            and not session.modified
            and getattr(session, "refresh_due", lambda: False)()
        ):
            session.modified = True
        return super().process_response(request, response)
