"""On PostgreSQL, the database itself refuses to change frozen snapshots, whatever the client:
figures can never be updated or deleted nor added to a finished run, and a run can only have
its progress fields changed while it is still open (pending/running) and can never be deleted.
Other backends rely on the model layer (reports.models: save/delete/queryset guards)."""

from django.db import migrations

OPEN = "('pending', 'running')"

FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION reports_snapshotfigure_frozen() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF (SELECT status FROM reports_snapshotrun WHERE id = NEW.run_id) NOT IN {OPEN} THEN
                RAISE EXCEPTION 'snapshot % is finished: its figures are frozen', NEW.run_id
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'snapshot figures are immutable: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER reports_snapshotfigure_frozen
        BEFORE INSERT OR UPDATE OR DELETE ON reports_snapshotfigure
        FOR EACH ROW EXECUTE FUNCTION reports_snapshotfigure_frozen()
    """,
    f"""
    CREATE OR REPLACE FUNCTION reports_snapshotrun_frozen() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'snapshots cannot be deleted' USING ERRCODE = 'restrict_violation';
        END IF;
        IF OLD.status NOT IN {OPEN} THEN
            RAISE EXCEPTION 'snapshot % is finished and frozen', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.id <> OLD.id
           OR NEW.as_of <> OLD.as_of
           OR NEW.version <> OLD.version
           OR NEW.kind <> OLD.kind
           OR NEW.created_at <> OLD.created_at
           OR NEW.created_by_id IS DISTINCT FROM OLD.created_by_id THEN
            RAISE EXCEPTION 'a snapshot''s date, version, kind and author cannot change'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER reports_snapshotrun_frozen
        BEFORE UPDATE OR DELETE ON reports_snapshotrun
        FOR EACH ROW EXECUTE FUNCTION reports_snapshotrun_frozen()
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS reports_snapshotrun_frozen ON reports_snapshotrun",
    "DROP FUNCTION IF EXISTS reports_snapshotrun_frozen()",
    "DROP TRIGGER IF EXISTS reports_snapshotfigure_frozen ON reports_snapshotfigure",
    "DROP FUNCTION IF EXISTS reports_snapshotfigure_frozen()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            # params=None: the % of RAISE formats are not placeholders.
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_snapshots")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
