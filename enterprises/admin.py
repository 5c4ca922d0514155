from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from appointments.models import CQO_POST, Appointment
from cqo_registry.admin_mixins import CodeSearchMixin, HistoryAdmin, ImportPageMixin
from cqo_registry.audit.services import audit_id_numbers_shown

from .models import Enterprise, Licence, Person, Town, licence_field
from .resources import EnterpriseResource

LICENCE_FIELDS = [licence_field(licence) for licence in Licence.values]


class ActiveFilter(admin.SimpleListFilter):
    title = _("存续状态")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("存续")), ("no", _("已注销"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deregistered_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(deregistered_on__isnull=False)
        return queryset


class CqoFilter(admin.SimpleListFilter):
    title = _("首席质量官")
    parameter_name = "cqo"

    def lookups(self, request, model_admin):
        return [("filed", _("已备案在任")), ("vacant", _("空缺"))]

    def queryset(self, request, queryset):
        current = Appointment.objects.filter(
            enterprise=OuterRef("pk"), post=CQO_POST, filed_on__isnull=False, ended_on__isnull=True
        )
        if self.value() == "filed":
            return queryset.filter(pk__in=current.values("enterprise"))
        if self.value() == "vacant":
            return queryset.filter(requires_cqo=True).exclude(
                pk__in=Appointment.objects.filter(
                    post=CQO_POST, filed_on__isnull=False, ended_on__isnull=True
                ).values("enterprise")
            )
        return queryset


@admin.register(Town)
class TownAdmin(HistoryAdmin):
    list_display = ["name", "code", "enterprise_count"]
    search_fields = ["name", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enterprise_count=Count("enterprises"))

    @admin.display(description=_("企业数"), ordering="enterprise_count")
    def enterprise_count(self, obj):
        return obj.enterprise_count


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fields = [
        "post",
        "person",
        "position",
        "is_principal",
        "appointed_on",
        "ended_on",
        "end_reason",
        "filed_on",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("聘任记录")

    def has_add_permission(self, request, obj=None):
        return False  # appointments are made through filings

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "post")


@admin.register(Enterprise)
class EnterpriseAdmin(CodeSearchMixin, ImportPageMixin, HistoryAdmin):
    import_kind = "enterprises"
    resource_classes = [EnterpriseResource]
    # By town, as the bureau reads its registry (the model's own ordering has no join).
    ordering = ["town__code", "name"]
    list_display = [
        "uscc",
        "name",
        "town",
        "industry",
        "scale",
        "requires_cqo",
        "current_cqo",
        "high_risk",
        "benchmark",
        "established_on",
        "deregistered_on",
    ]
    list_filter = [
        "town",
        "scale",
        "industry",
        "requires_cqo",
        CqoFilter,
        ActiveFilter,
        "high_risk",
        "benchmark",
        *LICENCE_FIELDS,
    ]
    search_fields = ["uscc", "name", "legal_representative"]
    list_select_related = ["town"]
    autocomplete_fields = ["town"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AppointmentInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "uscc",
                    "name",
                    "legal_representative",
                    "contact_phone",
                    "town",
                    "address",
                ]
            },
        ),
        (_("分类"), {"fields": ["industry", "scale", "requires_cqo", "high_risk", "benchmark"]}),
        (_("许可证"), {"fields": LICENCE_FIELDS}),
        (_("日期"), {"fields": ["established_on", "deregistered_on", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        current_cqo = Appointment.objects.filter(
            enterprise=OuterRef("pk"), post=CQO_POST, filed_on__isnull=False, ended_on__isnull=True
        ).values("person__name")[:1]
        return super().get_queryset(request).annotate(current_cqo_name=Subquery(current_cqo))

    @admin.display(description=_("在任首席质量官"), ordering="current_cqo_name")
    def current_cqo(self, obj):
        return obj.current_cqo_name or "—"


@admin.register(Person)
class PersonAdmin(CodeSearchMixin, HistoryAdmin):
    list_display = ["name", "id_number", "mobile", "education", "title", "years_in_quality"]
    list_filter = ["education"]
    search_fields = ["name", "=id_number", "email"]
    readonly_fields = ["created_at"]

    # The list and the change page show full ID numbers: recorded in the audit trail.
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            shown = [person.pk for person in changelist.result_list]
            audit_id_numbers_shown(request, shown, page="admin:enterprises_person_changelist")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        person = getattr(response, "context_data", {}).get("original")
        if person is not None and request.method == "GET":
            audit_id_numbers_shown(request, [person], page="admin:enterprises_person_change")
        return response
