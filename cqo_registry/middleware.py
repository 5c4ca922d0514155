"""Response headers the site adds itself (the rest come from Django's SecurityMiddleware,
django-csp and django-permissions-policy; see ``settings.base``, "Response headers")."""

from .responses import PRIVATE_CACHE_CONTROL


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every response the application builds that
    does not say otherwise: pages show personal data (names, ID numbers, enterprises) that
    must stay out of shared caches and the browser's disk cache on a shared office PC.

    Static files are served before this runs (WhiteNoise, placed above it) and keep their
    long-lived caching; a view that sets its own ``Cache-Control`` (``never_cache``) keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response


class RefuseNulMiddleware:
    """A 400 for a request whose query string or path carries a NUL byte (``%00``): no page
    has a use for one, PostgreSQL refuses it in any query ("A string literal cannot contain
    NUL"), and a filter or search that passed it on would fail with a server error. One check
    here instead of one in every view, the admin's filters included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            from django.core.exceptions import SuspiciousOperation

            from .errors import bad_request

            if request.path.startswith("/api/"):
                # The provincial platform's client reads JSON, whatever the error.
                from django.http import JsonResponse
                from django.utils.translation import gettext as _

                detail = _("请求中含有 NUL 字符，无法处理。")
                return JsonResponse({"detail": detail}, status=400)
            return bad_request(request, SuspiciousOperation("NUL byte in the request"))
        return self.get_response(request)
