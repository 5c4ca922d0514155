"""django-import-export resources of the appointments app (admin import/export)."""

from import_export import resources

from .models import Appointment


class AppointmentResource(resources.ModelResource):
    class Meta:
        model = Appointment
