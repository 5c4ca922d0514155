from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from cqo_registry.admin_mixins import (
    CodeSearchMixin,
    HistoryAdmin,
    ImportPageMixin,
    ReadOnlyInline,
)

from .models import (
    Evaluation,
    EvaluationDocument,
    EvaluationItem,
    EvaluationScore,
    TrainingAttendance,
    TrainingSession,
)
from .resources import TrainingAttendanceResource


class AttendanceInline(admin.TabularInline):
    model = TrainingAttendance
    fields = ["person", "attended", "hours", "score", "passed", "certificate_number"]
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(TrainingSession)
class TrainingSessionAdmin(HistoryAdmin):
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
class TrainingAttendanceAdmin(CodeSearchMixin, ImportPageMixin, HistoryAdmin):
    import_kind = "training"
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
    search_fields = ["person__name", "=person__id_number", "session__title", "certificate_number"]
    list_select_related = ["person", "session"]
    autocomplete_fields = ["person", "session"]


@admin.register(EvaluationItem)
class EvaluationItemAdmin(HistoryAdmin):
    """The bureau adjusts the evaluation items: titles, weights, order; an item no longer
    used is switched off (not deleted) so that past evaluations keep it."""

    list_display = ["code", "category", "title", "max_score", "order", "active"]
    list_editable = ["max_score", "order", "active"]
    list_filter = ["category", "active"]
    search_fields = ["code", "title"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and EvaluationScore.objects.filter(item=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


class EvaluationScoreInline(admin.TabularInline):
    model = EvaluationScore
    fields = ["item", "self_score", "score", "note"]
    readonly_fields = ["item"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Score rows come from the items when the evaluation is opened (training.services).
        return False


class EvaluationDocumentInline(ReadOnlyInline):
    model = EvaluationDocument
    fields = ["name", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(Evaluation)
class EvaluationAdmin(CodeSearchMixin, HistoryAdmin):
    list_display = [
        "year",
        "enterprise_name",
        "person_name",
        "status",
        "total",
        "max_total",
        "grade",
        "scored_at",
    ]
    list_filter = ["year", "status", "grade", "appointment__enterprise__town"]
    search_fields = [
        "appointment__enterprise__name",
        "appointment__enterprise__uscc",
        "appointment__person__name",
    ]
    list_select_related = ["appointment__enterprise", "appointment__person"]
    raw_id_fields = ["appointment"]
    readonly_fields = ["scored_by", "scored_at", "self_submitted_at", "created_at"]
    inlines = [EvaluationScoreInline, EvaluationDocumentInline]

    @admin.display(description=_("企业"), ordering="appointment__enterprise__name")
    def enterprise_name(self, obj):
        return obj.appointment.enterprise.name

    @admin.display(description=_("首席质量官"), ordering="appointment__person__name")
    def person_name(self, obj):
        return obj.appointment.person.name
