"""django-import-export resources of the enterprises app (admin import/export). Import runs
the same importer as ``manage.py import_data enterprises``."""

from import_export.fields import Field

from cqo_registry.importing.resources import ImporterResource, yes_no

from . import importers
from .models import Enterprise


class EnterpriseResource(ImporterResource):
    importer_class = importers.EnterpriseImporter

    uscc = Field(attribute="uscc", column_name=str(importers.USCC))
    name = Field(attribute="name", column_name=str(importers.NAME))
    town = Field(attribute="town__name", column_name=str(importers.TOWN))
    industry = Field(attribute="industry", column_name=str(importers.INDUSTRY))
    scale = Field(attribute="scale", column_name=str(importers.SCALE))
    requires_cqo = Field(attribute="requires_cqo", column_name=str(importers.REQUIRES_CQO))
    established_on = Field(attribute="established_on", column_name=str(importers.ESTABLISHED))
    deregistered_on = Field(attribute="deregistered_on", column_name=str(importers.DEREGISTERED))
    legal_representative = Field(
        attribute="legal_representative", column_name=str(importers.LEGAL_REP)
    )
    contact_phone = Field(attribute="contact_phone", column_name=str(importers.PHONE))
    address = Field(attribute="address", column_name=str(importers.ADDRESS))

    class Meta:
        model = Enterprise
        fields = (
            "uscc",
            "name",
            "town",
            "industry",
            "scale",
            "requires_cqo",
            "established_on",
            "deregistered_on",
            "legal_representative",
            "contact_phone",
            "address",
        )
        export_order = fields
        import_id_fields = ("uscc",)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("town")

    def dehydrate_industry(self, enterprise):
        return importers.industry_label(enterprise.industry)

    def dehydrate_scale(self, enterprise):
        return importers.scale_label(enterprise.scale)

    def dehydrate_requires_cqo(self, enterprise):
        return yes_no(enterprise.requires_cqo)
