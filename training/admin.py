from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from .models import TrainingAttendance, TrainingSession
from .resources import TrainingAttendanceResource


class AttendanceInline(admin.TabularInline):
    model = TrainingAttendance
    fields = ["person", "attended", "hours", "score", "passed", "certificate_number"]
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(TrainingSession)
class TrainingSessionAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "kind",
        "starts_on",
        "ends_on",
        "hours",
        "organiser",
        "place",
        "capacity",
        "attendee_count",
        "passed_count",
    ]
    list_filter = ["kind"]
    search_fields = ["title", "organiser", "place"]
    date_hierarchy = "starts_on"
    inlines = [AttendanceInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                attendee_count=Count("attendances"),
                passed_count=Count("attendances", filter=Q(attendances__passed=True)),
            )
        )

    @admin.display(description=_("参训人数"), ordering="attendee_count")
    def attendee_count(self, obj):
        return obj.attendee_count

    @admin.display(description=_("合格人数"), ordering="passed_count")
    def passed_count(self, obj):
        return obj.passed_count


@admin.register(TrainingAttendance)
class TrainingAttendanceAdmin(ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [TrainingAttendanceResource]
    list_display = [
        "person",
        "session",
        "attended",
        "hours",
        "score",
        "passed",
        "certificate_number",
    ]
    list_filter = ["passed", "attended", "session__kind"]
    search_fields = ["person__name", "person__id_number", "session__title", "certificate_number"]
    list_select_related = ["person", "session"]
    autocomplete_fields = ["person", "session"]
