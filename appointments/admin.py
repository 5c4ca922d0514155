from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import Appointment, Filing, FilingEvent, FilingNumberCounter, FilingStatus
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
class AppointmentAdmin(ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [AppointmentResource]
    list_display = [
        "enterprise",
        "person",
        "position",
        "is_principal",
        "appointed_on",
        "filed_on",
        "ended_on",
        "end_reason",
        "letter_link",
    ]
    list_filter = [FiledFilter, "is_principal", "end_reason", "enterprise__town"]
    search_fields = ["enterprise__uscc", "enterprise__name", "person__name", "person__id_number"]
    list_select_related = ["enterprise", "person"]
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


class FilingEventInline(admin.TabularInline):
    model = FilingEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Filing)
class FilingAdmin(SimpleHistoryAdmin):
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
        "appointment__person__id_number",
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
