from django.contrib import admin

from cqo_registry.admin_mixins import HistoryAdmin, ReadOnlyAdminMixin, ReadOnlyInline

from .models import SnapshotFigure, SnapshotIndicator, SnapshotRun, Target


@admin.register(Target)
class TargetAdmin(HistoryAdmin):
    """The bureau admin defines targets, for the CQO or any other post (issue 19): the post,
    the population rule and its criterion, the deadline and the goal."""

    list_display = ["code", "name", "post", "population", "criterion", "deadline", "goal_rate"]
    list_filter = ["post", "population", "criterion"]
    list_select_related = ["post"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "post", "population", "criterion", "deadline", "goal_rate"]


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Snapshots are frozen: the admin shows them and changes nothing (no add, change or
    delete, whatever the role's model permissions say)."""


class SnapshotFigureInline(ReadOnlyInline):
    model = SnapshotFigure
    fields = ["target", "scope", "key", "label", "population", "counted"]
    readonly_fields = fields
    ordering = ["target", "scope", "key"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("target")


@admin.register(SnapshotRun)
class SnapshotRunAdmin(ReadOnlyAdmin):
    list_display = [
        "as_of",
        "version",
        "kind",
        "status",
        "done",
        "total",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    date_hierarchy = "as_of"
    list_select_related = ["created_by"]
    inlines = [SnapshotFigureInline]


@admin.register(SnapshotFigure)
class SnapshotFigureAdmin(ReadOnlyAdmin):
    list_display = ["run", "target", "scope", "key", "label", "population", "counted"]
    list_filter = ["scope", "target", "run__kind"]
    search_fields = ["label", "key"]
    list_select_related = ["run", "target"]


@admin.register(SnapshotIndicator)
class SnapshotIndicatorAdmin(ReadOnlyAdmin):
    list_display = [
        "run",
        "scope",
        "label",
        "principal_counted",
        "principal_population",
        "late_year_counted",
        "vacancies",
        "overdue_vacancies",
    ]
    list_filter = ["scope", "run__kind"]
    search_fields = ["label", "key"]
    list_select_related = ["run"]
