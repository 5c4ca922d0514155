"""django-import-export resources of the appointments app (admin import/export). Import runs
the same importer as ``manage.py import_data appointments``."""

from import_export.fields import Field

from cqo_registry.importing.resources import ImporterResource, yes_no

from . import importers
from .models import Appointment


class AppointmentResource(ImporterResource):
    importer_class = importers.AppointmentImporter

    uscc = Field(attribute="enterprise__uscc", column_name=str(importers.USCC))
    name = Field(attribute="person__name", column_name=str(importers.NAME))
    # Full ID numbers: the admin is for bureau staff, and the file must import again.
    id_number = Field(attribute="person__id_number", column_name=str(importers.ID_NUMBER))
    position = Field(attribute="position", column_name=str(importers.POSITION))
    is_senior_manager = Field(attribute="is_senior_manager", column_name=str(importers.SENIOR))
    is_principal = Field(attribute="is_principal", column_name=str(importers.PRINCIPAL))
    appointed_on = Field(attribute="appointed_on", column_name=str(importers.APPOINTED))
    ended_on = Field(attribute="ended_on", column_name=str(importers.ENDED))
    filed_on = Field(attribute="filed_on", column_name=str(importers.FILED))
    mobile = Field(attribute="person__mobile", column_name=str(importers.MOBILE))

    class Meta:
        model = Appointment
        fields = (
            "uscc",
            "name",
            "id_number",
            "position",
            "is_senior_manager",
            "is_principal",
            "appointed_on",
            "ended_on",
            "filed_on",
            "mobile",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("enterprise", "person")

    def dehydrate_is_senior_manager(self, appointment):
        return yes_no(appointment.is_senior_manager)

    def dehydrate_is_principal(self, appointment):
        return yes_no(appointment.is_principal)
