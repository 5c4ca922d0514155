"""Throttles of issue 13, counted with django-ratelimit in Django's cache (Redis when a broker
is configured, each process's memory otherwise).

* **Sign-in, per IP address**: failed sign-ins are counted in a window of
  ``CQO_LOGIN_IP_WINDOW_MINUTES``; from ``CQO_LOGIN_IP_CAPTCHA_AFTER`` failures on the form asks
  for a CAPTCHA, from ``CQO_LOGIN_IP_BLOCK_AFTER`` on it answers 429 until the window ends.
  (The lockout per username after ``AXES_FAILURE_LIMIT`` failures is django-axes'.)
* **The public lookup**: ``CQO_PUBLIC_LOOKUP_RATE`` requests per IP address (60 a minute).
* **Self-registration**: ``CQO_REGISTRATION_RATE`` registrations sent per IP address (5 an
  hour); a form sent back with errors does not count.

Windows are django-ratelimit's fixed windows (per address, with a jitter), so "30 within 15
minutes" is counted in consecutive 15-minute windows.
"""

import ipaddress
import secrets

from django.conf import settings
from django_ratelimit.core import get_usage

LOGIN_FAILURES = "cqo.login-failures"
REGISTRATIONS = "cqo.registrations"
PUBLIC_LOOKUP = "cqo.public-lookup"

# Letters and digits that cannot be read as one another (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
CAPTCHA_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or the header named by ``CQO_CLIENT_IP_HEADER``
    (a ``request.META`` key such as ``HTTP_X_REAL_IP``) that the reverse proxy sets. Of a list
    (``X-Forwarded-For``) the last address is taken — the one the proxy itself added. Anything
    that is not an address falls back to ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    header = settings.CQO_CLIENT_IP_HEADER
    if not header:
        return remote
    value = request.META.get(header, "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return remote


def ip_key(group, request) -> str:
    """django-ratelimit's key: the client's address (``client_ip``)."""
    return client_ip(request)


def login_window_rate() -> str:
    return f"{settings.CQO_LOGIN_IP_BLOCK_AFTER}/{settings.CQO_LOGIN_IP_WINDOW_MINUTES}m"


def login_failures(request, *, add: bool = False) -> int:
    """Failed sign-ins from the request's address in the current window; ``add`` counts one
    more first. 0 when throttling is off (``RATELIMIT_ENABLE``)."""
    usage = get_usage(
        request, group=LOGIN_FAILURES, key=ip_key, rate=login_window_rate(), increment=add
    )
    return usage["count"] if usage else 0


def login_needs_captcha(failures: int) -> bool:
    return failures >= settings.CQO_LOGIN_IP_CAPTCHA_AFTER


def login_blocked(failures: int) -> bool:
    return failures >= settings.CQO_LOGIN_IP_BLOCK_AFTER


def public_lookup_rate(group, request) -> str:
    """The rate of the public lookup (a callable, so that the setting is read per request)."""
    return settings.CQO_PUBLIC_LOOKUP_RATE


def registration_allowed(request) -> bool:
    """Whether another registration may be sent from the request's address."""
    usage = get_usage(request, group=REGISTRATIONS, key=ip_key, rate=settings.CQO_REGISTRATION_RATE)
    return usage is None or usage["count"] < usage["limit"]


def count_registration(request) -> None:
    get_usage(
        request,
        group=REGISTRATIONS,
        key=ip_key,
        rate=settings.CQO_REGISTRATION_RATE,
        increment=True,
    )


def captcha_challenge() -> tuple[str, str]:
    """A CAPTCHA challenge for django-simple-captcha: (text drawn, expected answer). The
    answer is compared case-insensitively by the package."""
    text = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(settings.CAPTCHA_LENGTH))
    return text, text.lower()
