"""Trigram indexes for the name searches (issue 15 §1): the public lookup, the registry, the
vacancy lists, the drill-downs and every other page that searches a name with ``icontains``.

On PostgreSQL ``name__icontains=text`` is ``UPPER("name"::text) LIKE UPPER('%text%')``, which
no B-tree index can serve: at 100,000 enterprises each lookup read the whole table. A GIN
index with ``pg_trgm``'s ``gin_trgm_ops`` on that same expression, ``UPPER("name"::text)``,
serves the ``LIKE '%…%'`` of three characters or more. A ``GinIndex(opclasses=…)`` would index
the column itself, which the ``UPPER(…)`` of icontains does not use, and Django's
``GinIndex(OpClass(Upper(…)))`` writes ``((UPPER("name") gin_trgm_ops))``, which PostgreSQL 15
refuses: hence the SQL here.

PostgreSQL only: ``pg_trgm`` (a trusted extension since PostgreSQL 13: the database's owner
may create it) and GIN do not exist on SQLite, where this migration does nothing. The indexes
are not part of the models' state, so ``makemigrations`` neither sees nor drops them;
``tests/enterprises/test_trigram_indexes.py`` checks that they exist and are used.
"""

from django.db import migrations

# (table, column, index name). The expression is exactly the left-hand side Django writes for
# ``icontains`` on PostgreSQL, so that the planner matches it.
INDEXES = [
    ("enterprises_enterprise", "name", "enterprise_name_trgm"),
    ("enterprises_enterprise", "uscc", "enterprise_uscc_trgm"),
    ("enterprises_enterprise", "legal_representative", "enterprise_legal_rep_trgm"),
    ("enterprises_person", "name", "person_name_trgm"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0014_drilldown_order_index")]

    # The extension is created here, not with Django's TrigramExtension: its backwards step
    # asks pg_extension whatever the database, which fails on SQLite (the extension is left in
    # place going backwards: other objects may use it).
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
