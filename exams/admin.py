"""Exam records in the back office (issue 20), for bureau roles.

The exam pages own these records: questions are written through the bank (a new version per
edit), paper rules through their page (which checks the bank), sittings, candidates and
papers through the sitting workflow (``exams.services``). So the admin *reads* them — every
model but the question is in ``rules.READ_ONLY_MODELS`` (no add, change or delete, for a
superuser too) — and on a question changes only what the bank changes in place (category,
difficulty, active). Question versions are immutable: shown, never added, edited or
deleted. Nothing here is added by hand."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from cqo_registry.admin_mixins import ReadOnlyInline

from .models import (
    Candidate,
    Paper,
    PaperQuestion,
    PaperRule,
    PaperSection,
    Question,
    QuestionVersion,
    Sitting,
)


class QuestionVersionInline(ReadOnlyInline):
    model = QuestionVersion
    fields = ["number", "qtype", "stem", "options", "answer", "explanation", "created_at"]
    readonly_fields = fields
    ordering = ["-number"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "post", "qtype", "category", "difficulty", "active", "versions"]
    list_filter = ["post", "qtype", "difficulty", "active"]
    search_fields = ["category", "current__stem"]
    list_select_related = ["post", "current"]
    # What candidates read is a version (the bank writes a new one per edit); post and type
    # decide which papers drew it.
    fields = [
        "post",
        "qtype",
        "current",
        "category",
        "difficulty",
        "active",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["post", "qtype", "current", "created_at", "updated_at"]
    inlines = [QuestionVersionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(version_count=Count("versions"))

    @admin.display(description=_("版本数"), ordering="version_count")
    def versions(self, obj):
        return obj.version_count

    def has_add_permission(self, request):
        # A question is written with its first version by the bank (page or import).
        return False

    def has_delete_permission(self, request, obj=None):
        # Papers point at its versions: switch it off (active) instead.
        return False


class PaperSectionInline(ReadOnlyInline):
    model = PaperSection
    fields = ["order", "qtype", "category", "count", "marks"]
    readonly_fields = fields


@admin.register(PaperRule)
class PaperRuleAdmin(admin.ModelAdmin):
    list_display = [
        "post",
        "duration_minutes",
        "pass_mark",
        "retake_days",
        "free_retakes",
        "publish_results",
        "updated_at",
    ]
    list_select_related = ["post"]
    inlines = [PaperSectionInline]


@admin.register(Sitting)
class SittingAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "post",
        "held_on",
        "place",
        "status",
        "is_spot_check",
        "candidate_count",
        "passed_count",
    ]
    list_filter = ["status", "is_spot_check", "post"]
    search_fields = ["title", "place"]
    date_hierarchy = "held_on"
    list_select_related = ["post"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                candidate_count=Count("candidates", distinct=True),
                passed_count=Count("candidates", filter=Q(candidates__paper__passed=True)),
            )
        )

    @admin.display(description=_("考生"), ordering="candidate_count")
    def candidate_count(self, obj):
        return obj.candidate_count

    @admin.display(description=_("合格"), ordering="passed_count")
    def passed_count(self, obj):
        return obj.passed_count


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["person", "enterprise", "sitting", "is_retake", "added_at"]
    list_filter = ["is_retake", "sitting__is_spot_check", "sitting__post"]
    search_fields = ["person__name", "=person__id_number", "enterprise__name", "sitting__title"]
    list_select_related = ["person", "enterprise", "sitting"]


class PaperQuestionInline(ReadOnlyInline):
    model = PaperQuestion
    fields = ["position", "version", "marks", "chosen", "answered_at", "awarded"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version")


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = [
        "candidate",
        "sitting",
        "started_at",
        "submitted_at",
        "submitted_by",
        "score",
        "total_marks",
        "passed",
        "certificate_number",
    ]
    list_filter = ["passed", "submitted_by", "candidate__sitting__post"]
    search_fields = [
        "candidate__person__name",
        "=candidate__person__id_number",
        "certificate_number",
    ]
    list_select_related = ["candidate__person", "candidate__sitting"]
    date_hierarchy = "started_at"
    inlines = [PaperQuestionInline]

    @admin.display(description=_("考试场次"), ordering="candidate__sitting__held_on")
    def sitting(self, obj):
        return obj.candidate.sitting
