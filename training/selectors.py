"""Role-scoped reads of training."""

from django.db.models import QuerySet

from cqo_registry.accounts import access
from enterprises.selectors import person_list

from .models import TrainingAttendance, TrainingSession


def session_list(user) -> QuerySet[TrainingSession]:
    """Sessions are announcements: every signed-in role may see them."""
    if not access.role_of(user):
        return TrainingSession.objects.none()
    return TrainingSession.objects.all()


def attendance_list(user) -> QuerySet[TrainingAttendance]:
    queryset = TrainingAttendance.objects.select_related("session", "person")
    if access.sees_whole_county(user):
        return queryset
    return queryset.filter(person__in=person_list(user))
