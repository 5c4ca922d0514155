"""The address of the site, for links that leave it: the QR code and URL on a printed
receipt, links in e-mails (issue 12, "Links that point nowhere").

Inside a request it is the address that request was made to (scheme and host, the host
already checked against ``ALLOWED_HOSTS``): whatever host or port serves the site, its links
point back to it. Outside a request — a Celery task, a management command — it is
``settings.SITE_URL``, which production settings require (``.env.example``)."""

from contextvars import ContextVar

from django.conf import settings

_request_base: ContextVar[str | None] = ContextVar("cqo_request_base", default=None)


def site_url() -> str:
    """``https://host[:port]`` with no trailing slash: the current request's address, else
    ``settings.SITE_URL``."""
    return _request_base.get() or settings.SITE_URL.rstrip("/")


class SiteUrlMiddleware:
    """Remembers the request's own address for ``site_url()`` while the request runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            base = request.build_absolute_uri("/").rstrip("/")
        except Exception:  # DisallowedHost: CommonMiddleware answers it with a 400
            base = None
        token = _request_base.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)
