from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cqo_registry.admin_mixins import (
    CodeSearchMixin,
    HistoryAdmin,
    ImportPageMixin,
    ReadOnlyInline,
)
from enterprises.models import Industry, Licence, Scale

from . import posts, services
from .models import (
    Appointment,
    Filing,
    FilingEvent,
    FilingNumberCounter,
    FilingStatus,
    Penalty,
    PostType,
    RiskWeight,
    SpotCheck,
)
from .resources import AppointmentResource


class FiledFilter(admin.SimpleListFilter):
    title = _("备案状态")
    parameter_name = "filed"

    def lookups(self, request, model_admin):
        return [("current", _("已备案在任")), ("pending", _("未备案")), ("ended", _("已结束"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(filed_on__isnull=False, ended_on__isnull=True)
        if self.value() == "pending":
            return queryset.filter(filed_on__isnull=True, ended_on__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended_on__isnull=False)
        return queryset


@admin.register(Appointment)
class AppointmentAdmin(CodeSearchMixin, ImportPageMixin, HistoryAdmin):
    import_kind = "appointments"
    resource_classes = [AppointmentResource]
    list_display = [
        "enterprise",
        "post",
        "person",
        "position",
        "is_principal",
        "appointed_on",
        "filed_on",
        "ended_on",
        "end_reason",
        "letter_link",
    ]
    list_filter = [FiledFilter, "post", "is_principal", "end_reason", "enterprise__town"]
    search_fields = ["enterprise__uscc", "enterprise__name", "person__name", "=person__id_number"]
    list_select_related = ["enterprise", "person", "post"]
    autocomplete_fields = ["enterprise", "person"]
    date_hierarchy = "appointed_on"
    # Filing state is changed only by the filing workflow (appointments.services).
    readonly_fields = ["filed_on", "ended_on", "end_reason", "created_at"]

    @admin.display(description=_("聘任文件"))
    def letter_link(self, obj):
        if not obj.letter:
            return "—"
        url = reverse("appointments:letter_download", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("查看"))


class FilingEventInline(ReadOnlyInline):
    model = FilingEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields


@admin.register(Filing)
class FilingAdmin(CodeSearchMixin, HistoryAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "enterprise",
        "person_name",
        "submitted_at",
        "approved_on",
        "is_late",
        "source",
    ]
    list_filter = ["status", "kind", "source", "is_late", "enterprise__town"]
    search_fields = [
        "number",
        "enterprise__uscc",
        "enterprise__name",
        "appointment__person__name",
        "=appointment__person__id_number",
    ]
    list_select_related = ["enterprise", "appointment__person"]
    autocomplete_fields = ["enterprise", "appointment", "replaces"]
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "status",
        "number",
        "number_year",
        "number_seq",
        "submitted_at",
        "reviewed_at",
        "approved_on",
        "reviewed_by",
        "days_to_submit",
        "is_late",
        "verify_token",
        "created_by",
        "created_at",
        "return_reasons",
    ]
    inlines = [FilingEventInline]
    actions = ["approve_selected"]

    @admin.display(description=_("首席质量官"), ordering="appointment__person__name")
    def person_name(self, obj):
        return obj.appointment.person.name

    @admin.action(description=_("批准所选待审核备案"))
    def approve_selected(self, request, queryset):
        approved = 0
        for filing in queryset.filter(status=FilingStatus.SUBMITTED).order_by("submitted_at"):
            try:
                services.filing_approve(filing=filing, actor=request.user)
                approved += 1
            except ValidationError as exc:
                self.message_user(request, f"{filing}: {'；'.join(exc.messages)}", messages.ERROR)
        self.message_user(request, _("已批准 %(n)d 件备案。") % {"n": approved})


@admin.register(FilingEvent)
class FilingEventAdmin(admin.ModelAdmin):
    list_display = ["at", "filing", "action", "from_status", "to_status", "actor"]
    list_filter = ["action", "to_status"]
    search_fields = ["filing__number", "filing__enterprise__name"]
    list_select_related = ["filing", "actor"]


@admin.register(FilingNumberCounter)
class FilingNumberCounterAdmin(admin.ModelAdmin):
    list_display = ["year", "last"]


@admin.register(SpotCheck)
class SpotCheckAdmin(CodeSearchMixin, ImportPageMixin, HistoryAdmin):
    import_kind = "spot_checks"
    list_display = [
        "checked_on",
        "enterprise",
        "product",
        "passed",
        "failed_items",
        "document_number",
    ]
    list_filter = ["passed", "enterprise__town"]
    search_fields = ["enterprise__uscc", "enterprise__name", "product", "document_number"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
    date_hierarchy = "checked_on"


@admin.register(Penalty)
class PenaltyAdmin(CodeSearchMixin, ImportPageMixin, HistoryAdmin):
    import_kind = "penalties"
    list_display = ["decided_on", "enterprise", "decision_number", "summary"]
    list_filter = ["enterprise__town"]
    search_fields = ["enterprise__uscc", "enterprise__name", "decision_number"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
    date_hierarchy = "decided_on"


@admin.register(RiskWeight)
class RiskWeightAdmin(HistoryAdmin):
    list_display = ["factor", "weight"]


def _conditions(label, choices, help_text) -> forms.MultipleChoiceField:
    """One of a post's sets of conditions: optional checkboxes of ``choices`` (a choices
    class)."""
    return forms.MultipleChoiceField(
        label=label,
        choices=choices.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class PostTypeForm(forms.ModelForm):
    """The post's sets of conditions as checkboxes (stored as JSON lists of codes)."""

    scales = _conditions(_("企业规模"), Scale, _("不选：不限规模。"))
    industries = _conditions(_("行业门类"), Industry, _("不选：不限行业。"))
    licences = _conditions(
        _("持有的许可证"), Licence, _("持有其中任一许可证的企业须设此岗位；不选：不限。")
    )

    class Meta:
        model = PostType
        fields = [
            "code",
            "name",
            "name_en",
            "legal_basis",
            "in_force_from",
            "active",
            "sort_order",
            "scales",
            "requires_cqo",
            "industries",
            "high_risk",
            "licences",
            "holders",
            "senior_manager_required",
            "training_hours",
            "exam_required",
        ]

    def clean(self):
        data = super().clean()
        code = self.instance.code if self.instance.pk else data.get("code")
        if data.get("holders") and code:
            problem = posts.holders_problem(code, data["holders"])
            if problem:
                self.add_error("holders", problem)
        return data


@admin.register(PostType)
class PostTypeAdmin(HistoryAdmin):
    """Posts (issue 19): a bureau admin edits them (``ADMIN_EDITS_MODELS``); the code is fixed
    once made, and saving goes through ``posts.post_type_save``."""

    form = PostTypeForm
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "holders",
        "senior_manager_required",
        "training_hours",
        "exam_required",
        "active",
        "sort_order",
    ]
    list_filter = ["active", "holders"]
    search_fields = ["code", "name", "name_en"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "name_en",
                    "legal_basis",
                    "in_force_from",
                    "active",
                    "sort_order",
                ]
            },
        ),
        (
            _("须设此岗位的企业（所选条件须同时满足）"),
            {"fields": ["scales", "requires_cqo", "industries", "high_risk", "licences"]},
        ),
        (
            _("岗位要求"),
            {
                "fields": [
                    "holders",
                    "senior_manager_required",
                    "training_hours",
                    "exam_required",
                ]
            },
        ),
    ]

    # The Chinese name is data in Chinese on purpose, also in the English interface.
    @admin.display(description=_("名称"), ordering="name")
    def name_zh(self, obj):
        return format_html('<span lang="zh-Hans">{}</span>', obj.name)

    def get_readonly_fields(self, request, obj=None):
        return ["code", "name_zh"] if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read only (a reviewer): the name as marked-up Chinese text.
        return [
            (
                title,
                {**options, "fields": ["name_zh" if f == "name" else f for f in options["fields"]]},
            )
            for title, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        posts.post_type_save(post=obj, actor=request.user)
