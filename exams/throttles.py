"""Throttles of the exam's sign-in (issue 20), on the project's throttle helpers
(``cqo_registry.accounts.throttles``, django-ratelimit in the cache): failed sign-ins are
counted per client address (``CQO_EXAM_SIGN_IN_IP_RATE``) and per ID number typed
(``CQO_EXAM_SIGN_IN_ID_RATE``); over either, the sign-in answers 429 until the window ends.
A successful sign-in is not counted, so a venue full of phones behind one address is not
held up by its own candidates."""

import hashlib

from django.conf import settings
from django_ratelimit.core import get_usage

from cqo_registry.accounts.throttles import ip_key

SIGN_IN_IP = "cqo.exam-sign-in-ip"
SIGN_IN_ID = "cqo.exam-sign-in-id"


def _id_key(group, request) -> str:
    typed = request.POST.get("id_number", "").strip().upper()[:20]
    # The cache key must not hold the ID number itself.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{typed}".encode()).hexdigest()


def _usages(request, *, add: bool):
    return [
        get_usage(
            request,
            group=SIGN_IN_IP,
            key=ip_key,
            rate=settings.CQO_EXAM_SIGN_IN_IP_RATE,
            increment=add,
        ),
        get_usage(
            request,
            group=SIGN_IN_ID,
            key=_id_key,
            rate=settings.CQO_EXAM_SIGN_IN_ID_RATE,
            increment=add,
        ),
    ]


def sign_in_blocked(request) -> bool:
    """Whether the request's address, or the ID number it sends, is over its limit."""
    return any(u is not None and u["count"] >= u["limit"] for u in _usages(request, add=False))


def count_failure(request) -> None:
    _usages(request, add=True)
