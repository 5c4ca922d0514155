"""django-import-export resources of the training app (admin import/export)."""

from import_export import resources

from .models import TrainingAttendance


class TrainingAttendanceResource(resources.ModelResource):
    class Meta:
        model = TrainingAttendance
