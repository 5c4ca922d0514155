"""The signed-in user and their second-factor device, kept per process while no account changes
(issue 15 §1: the fixed cost of a signed-in page).

Every signed-in request loads its user (``ModelBackend.get_user``) and, once the second factor
is verified, the device that verified it (``Device.from_persistent_id``): two ORM reads, ~0.9 ms
of CPU and two round trips on every page, for rows that change a few times a day. Here each
process keeps the rows it read under the data version :data:`~cqo_registry.data_version.
ACCOUNTS`, which a trigger on the users' and devices' tables moves on every write — the admin's,
a ``QuerySet.update``, a login's ``last_login``, raw SQL (``cqo_registry.data_version``). A
request reads the version (one plain query) and, when it has not moved since the rows were read,
builds the user and the device from the kept values instead of reading them.

What a kept user stands for: Django's own ``auth.get_user`` ran for the same session user id,
authentication backend and session auth hash, with the same ``SECRET_KEY``, against the same
rows (same version), and returned that user — backend check (``is_active``) and session hash
verified. Run again on those rows it would return the same user, so the kept one is returned
instead. Anything else — no user in the session, a version that moved, a hash that only a
fallback key verifies (Django then cycles the session) — goes to Django's code unchanged. Each
request gets its own instance (``Model.from_db`` on a copy of the values): nothing a view sets
on ``request.user`` reaches another request.

The kept values include what a request loads anyway (the password hash that the session hash
is made from, the device's key); at most :data:`MAX_KEPT` users and devices a process, each
served for at most ``CQO_SIGNED_IN_KEEP_SECONDS`` (60) whatever the version: a write the
triggers did not see (disabled triggers, a restore with ``--disable-triggers``) shows within
that time. The counters' table must exist (``appointments/0013``, which every page of the
vacancy lists needs too); a database whose ``accounts`` counters are missing keeps nothing.
"""

import copy
import threading
import time
from collections import OrderedDict
from functools import partial

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware
from django_otp.models import Device

from cqo_registry import data_version

# Users and devices kept per process (least recently used first out).
MAX_KEPT = 2048


def _keep_seconds() -> float:
    """How long a kept row may serve at most, whatever the version says
    (``CQO_SIGNED_IN_KEEP_SECONDS``, default 60): a bound on the damage of a write the triggers
    did not see — ``session_replication_role = replica`` (a restore with
    ``--disable-triggers``, replication), ``DISABLE TRIGGER``, or SQLite while a migration
    rebuilds the users' table."""
    return getattr(settings, "CQO_SIGNED_IN_KEEP_SECONDS", 60)


class _KeptRows:
    """A bounded, thread-safe map ``key -> (version, kept at, model, db, attnames, values)``;
    an entry older than :func:`_keep_seconds` is not served."""

    def __init__(self, size: int = MAX_KEPT):
        self._rows: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key, version: str):
        """A new instance of the row kept under ``key`` at ``version``, else ``None``."""
        with self._lock:
            kept = self._rows.get(key)
            if kept is None or kept[0] != version:
                return None
            if time.monotonic() - kept[1] >= _keep_seconds():
                del self._rows[key]
                return None
            self._rows.move_to_end(key)
        _version, _at, model, db, attnames, values = kept
        return model.from_db(db, attnames, copy.deepcopy(values))

    def put(self, key, version: str, instance) -> None:
        """Keep ``instance``'s concrete field values under ``key`` at ``version``."""
        attnames = [field.attname for field in instance._meta.concrete_fields]
        values = copy.deepcopy([getattr(instance, name) for name in attnames])
        row = (version, time.monotonic(), type(instance), instance._state.db, attnames, values)
        with self._lock:
            self._rows[key] = row
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


_users = _KeptRows()
_devices = _KeptRows()


def clear() -> None:
    """Forget every kept user and device of this process."""
    _users.clear()
    _devices.clear()


def _version(request) -> str:
    """The accounts data version, read once a request."""
    version = getattr(request, "_accounts_version", None)
    if version is None:
        version = request._accounts_version = data_version.current_version(data_version.ACCOUNTS)
    return version


def user_of_session(request):
    """``django.contrib.auth.get_user(request)``, from the kept row when the accounts have not
    changed since it was read for the same session user, backend and session hash (see the
    module's docstring). Returns a user or an ``AnonymousUser``; raises what Django's
    ``get_user`` raises."""
    session = request.session
    try:
        user_id = session[auth.SESSION_KEY]
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    session_hash = session.get(auth.HASH_SESSION_KEY)
    key = (str(user_id), backend_path, session_hash, settings.SECRET_KEY)
    version = _version(request)
    if not version:  # no counter rows (their name not installed yet): nothing is kept
        return auth.get_user(request)
    user = _users.get(key, version)
    if user is not None:
        return user
    user = auth.get_user(request)
    if (
        user.is_authenticated
        and str(user.pk) == key[0]
        and session_hash
        and session.get(auth.HASH_SESSION_KEY) == session_hash
    ):
        _users.put(key, version, user)
    return user


def keep_after_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: read the user of the new session as the next request
    would (:func:`user_of_session`: Django's ``get_user`` on the rows as stored after the
    sign-in's own writes), so that the first page after signing in finds it kept. Does
    nothing for a sign-in without a request or session."""
    if request is not None and hasattr(request, "session"):
        request.__dict__.pop("_accounts_version", None)  # read after the sign-in's writes
        user_of_session(request)


def _device(request, persistent_id: str):
    """``Device.from_persistent_id(persistent_id)``, from the kept row when the accounts have
    not changed since it was read. ``None`` when no such device exists."""
    version = _version(request)
    if not version:
        return Device.from_persistent_id(persistent_id)
    device = _devices.get(persistent_id, version)
    if device is None:
        device = Device.from_persistent_id(persistent_id)
        # Only a device whose table the version watches may be kept: another second-factor
        # plugin's removal would not move it.
        watched = data_version.WATCHED[data_version.ACCOUNTS]
        if device is not None and device._meta.db_table in watched:
            _devices.put(persistent_id, version, device)
    return device


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's authentication middleware with :func:`user_of_session` as the lazy user."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(partial(_get_user, request))


def _get_user(request):
    # What ``auth_middleware.get_user`` does, with the kept user: memoised on the request.
    if not hasattr(request, "_cached_user"):
        request._cached_user = user_of_session(request)
    return request._cached_user


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's middleware with the device read through :func:`_device` (its
    ``_verify_user_sync`` otherwise unchanged)."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = (
                _device(request, self._normalize_persistent_id(persistent_id))
                if persistent_id
                else None
            )
            user.otp_device = self._finalize_device(request, user, device)
        return user
