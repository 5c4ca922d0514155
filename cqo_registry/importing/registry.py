"""The import files by name, as the command line spells them."""

from django.utils.module_loading import import_string

IMPORTERS = {
    "enterprises": "enterprises.importers.EnterpriseImporter",
    "appointments": "appointments.importers.AppointmentImporter",
    "training": "training.importers.TrainingImporter",
}


def get_importer_class(kind: str):
    return import_string(IMPORTERS[kind])
