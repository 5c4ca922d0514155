"""Role-scoped reads of appointments and filings."""

from django.db.models import QuerySet

from cqo_registry.accounts import access

from .models import Appointment, Filing


def appointment_list(user) -> QuerySet[Appointment]:
    return access.scope(
        Appointment.objects.select_related("enterprise__town", "person"),
        user,
        town_field="enterprise__town",
        enterprise_field="enterprise",
    )


def filing_list(user) -> QuerySet[Filing]:
    return access.scope(
        Filing.objects.select_related("enterprise__town", "appointment__person", "post"),
        user,
        town_field="enterprise__town",
        enterprise_field="enterprise",
    )
