"""django-import-export resources of the training app (admin import/export). Import runs the
same importer as ``manage.py import_data training``."""

from import_export.fields import Field

from cqo_registry.importing.resources import ImporterResource, yes_no

from . import importers
from .models import TrainingAttendance


class TrainingAttendanceResource(ImporterResource):
    importer_class = importers.TrainingImporter

    id_number = Field(attribute="person__id_number", column_name=str(importers.ID_NUMBER))
    name = Field(attribute="person__name", column_name=str(importers.NAME))
    title = Field(attribute="session__title", column_name=str(importers.TITLE))
    day = Field(attribute="session__starts_on", column_name=str(importers.DAY))
    hours = Field(attribute="hours", column_name=str(importers.HOURS))
    passed = Field(attribute="passed", column_name=str(importers.PASSED))

    class Meta:
        model = TrainingAttendance
        fields = ("id_number", "name", "title", "day", "hours", "passed")
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("session", "person")

    def dehydrate_passed(self, attendance):
        return yes_no(attendance.passed)
