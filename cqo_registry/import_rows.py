"""What the registry's importers do alike with a row that matches a record already held
(SPEC §4: a re-import of the same file changes nothing, a changed row updates the record).

It lives beside ``cqo_registry.importing`` rather than in it, so that the importing layer
stays the generic reader and these are the registry's own conventions for its files."""

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
