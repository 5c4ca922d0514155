"""What the registry's importers do alike with a row that matches a record already held
(SPEC §4: a re-import of the same file changes nothing, a changed row updates the record),
and how the management commands that run them report a file's outcome.

It lives beside ``cqo_registry.importing`` rather than in it, so that the importing layer
stays the generic reader and these are the registry's own conventions for its files."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from cqo_registry.importing import UNCHANGED, UPDATED


def update_existing(importer, row, existing, target: dict, changed_fields: set | None = None):
    """Bring ``existing`` to the values of ``target`` ({field name: value}) and count the row.

    Only the fields whose value differs are set. When any differs, ``existing`` is queued on
    ``importer.to_update`` (and the names added to ``changed_fields`` when given, for the
    bulk update's field list) and the row counts as UPDATED under ``importer.label``;
    otherwise it counts as UNCHANGED. Returns the names of the changed fields, in
    ``target``'s order. Raises nothing of its own."""
    changed = [name for name, value in target.items() if getattr(existing, name) != value]
    for name in changed:
        setattr(existing, name, target[name])
    if changed:
        if changed_fields is not None:
            changed_fields.update(changed)
        importer.to_update.append(existing)
    importer.outcome(row, importer.label, UPDATED if changed else UNCHANGED, existing)
    return changed


def report_to_command(command, result, failed: str) -> None:
    """Write an import run's warnings to ``command``'s stderr; when the run has errors, write
    each too and raise ``CommandError(failed % {"rows": n})``, ``n`` the number of rows in
    error (``failed`` is the command's own translated "nothing was written" sentence)."""
    for warning in result.warnings:
        command.stderr.write(command.style.WARNING(_("提醒：%(message)s") % {"message": warning}))
    if not result.ok:
        for error in result.errors:
            command.stderr.write(str(error))
        failed_rows = {(e.sheet, e.row) for e in result.errors}
        raise CommandError(failed % {"rows": len(failed_rows)})
