"""django-import-export resources of the enterprises app (admin import/export)."""

from import_export import resources

from .models import Enterprise


class EnterpriseResource(resources.ModelResource):
    class Meta:
        model = Enterprise
