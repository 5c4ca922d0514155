from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .accounts import access
from .accounts.models import Role

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


@never_cache
@require_GET
def healthz(request):
    """200 when the database (and, where one is configured, the Celery broker) answers."""
    checks = {"database": _database_ok()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker_ok()
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 — any failure means "not healthy"
        return False


def _broker_ok() -> bool:
    from cqo_registry.celery_app import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False
