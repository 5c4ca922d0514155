from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .accounts import access
from .accounts.models import Role
from .health import system_health

ROLE_START_PAGES = {
    Role.BUREAU_ADMIN: "review:queue",
    Role.REVIEWER: "review:queue",
    Role.LEADER: "reports:dashboard",
    Role.TOWN_OFFICER: "reports:town_dashboard",
    Role.ENTERPRISE: "portal:home",
}


@login_required
def home(request):
    """Send each role to its own start page."""
    start = ROLE_START_PAGES.get(access.role_of(request.user))
    if start:
        return redirect(start)
    return render(request, "home.html", {"role": access.role_of(request.user)})


# The help page of each role; anyone else (anonymous, no role) reads the enterprises' one,
# which also says what the public may look up.
HELP_PAGES = {
    Role.BUREAU_ADMIN: "bureau",
    Role.REVIEWER: "bureau",
    Role.LEADER: "leader",
    Role.TOWN_OFFICER: "town_officer",
    Role.ENTERPRISE: "enterprise",
}


def help_page(request):
    """帮助 (issue 12): what the signed-in user's role does, in which order, what each status
    means, and whom to call (the bureau's telephone from its settings, ``bureau.profile``).
    Open to anyone: anonymous visitors and users without a role see the enterprises' page."""
    from django.conf import settings

    role = access.role_of(request.user) if request.user.is_authenticated else None
    return render(
        request,
        "help/help.html",
        {
            "help_role": HELP_PAGES.get(role, "enterprise"),
            "limit_days": settings.CQO_FILING_LIMIT_DAYS,
            "vacancy_days": settings.CQO_VACANCY_LIMIT_DAYS,
        },
    )


@never_cache
@require_GET
def healthz(request):
    """Monitoring: 503 when the database or the broker fails, else 200; the JSON body names
    each component and the age of beat's last run (``cqo_registry.health``). Answers within
    a second."""
    status, body = system_health()
    return JsonResponse(body, status=status)


def favicon(request):
    """``/favicon.ico``, which browsers ask for whatever the page says: the site's icon. The
    static name is looked up per request (the manifest exists only after collectstatic)."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("favicon.svg"))


def bench_ok(request):
    """``/bench/ok``: a bare "ok" through the whole middleware stack, the yardstick of
    ``bench/bench_pages.py`` (issue 15 §1: each page's req/s as a percentage of this view's,
    served by the same process). Routed only when ``CQO_BENCH_BARE_VIEW`` is on; never in a
    real deployment."""
    return HttpResponse("ok", content_type="text/plain")
