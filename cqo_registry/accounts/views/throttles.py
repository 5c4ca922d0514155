"""The answer to a request over one of the throttles (``throttles.py``): 429 with a page
saying what happened and when to try again (``RATELIMIT_VIEW``)."""

from django.shortcuts import render


def too_many_requests(request, exception=None, *, minutes: int | None = None):
    """429 Too Many Requests, in the user's language; ``minutes`` says how long to wait when
    the caller knows it."""
    response = render(request, "accounts/too_many_requests.html", {"minutes": minutes}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
