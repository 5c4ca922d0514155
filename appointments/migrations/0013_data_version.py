"""The vacancy lists' data version (issue 15): the counters' table and the triggers that move
it on every write to the tables the lists are computed from (``cqo_registry.data_version``).
Not a model: ``flush`` and the tests' ``TRUNCATE`` of the models' tables leave it alone."""

from django.db import migrations

from cqo_registry import data_version

# As they were when this migration was written; a table watched later gets its trigger from
# the post_migrate check (``data_version.reinstall_after_migrate``).
TABLES = (
    "enterprises_town",
    "enterprises_enterprise",
    "appointments_appointment",
    "appointments_posttype",
)


def forwards(apps, schema_editor):
    data_version.create_table(schema_editor.connection)
    data_version.install(schema_editor.connection, data_version.VACANCIES, TABLES)


def backwards(apps, schema_editor):
    data_version.uninstall(schema_editor.connection, data_version.VACANCIES, TABLES)
    # And every name watched since (their triggers come from the post_migrate check): a
    # trigger left behind would write to the dropped table and fail every write to its table.
    for name in data_version.WATCHED:
        data_version.uninstall(schema_editor.connection, name)
    data_version.drop_table(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0012_appt_post_stats_idx"),
        ("enterprises", "0016_index_only_what_is_queried"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
