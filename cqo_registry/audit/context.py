"""Who and where a request comes from, for every log line it writes (issue 14 §1).

``RequestContextMiddleware`` puts the signed-in user's name and the client's address (read as
the throttles and django-axes read it: ``accounts.throttles.client_ip``) in a context variable;
``RequestContextFilter``, attached to the log handlers in settings, copies them onto each
record as ``%(user)s`` and ``%(client_ip)s`` (``-`` outside a request: workers, commands)."""

import logging
from contextvars import ContextVar

from cqo_registry.accounts.throttles import client_ip

_current: ContextVar[tuple[str, str] | None] = ContextVar("cqo_request", default=None)


def current() -> tuple[str, str]:
    """``(username, client_ip)`` of the request being served, ``("-", "-")`` outside one."""
    return _current.get() or ("-", "-")


class RequestContextMiddleware:
    """Placed after authentication: the user is known when the context is set. The name is
    read again after the view, so that a sign-in or sign-out logs the name it ends with."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set((_username(request), client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def _username(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    return "-"


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.user, record.client_ip = current()
        return True
