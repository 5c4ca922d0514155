"""Bulk writes with history, fast on PostgreSQL.

``simple_history.utils.bulk_create_with_history`` is what we use on every backend for updates
and, off PostgreSQL, for inserts. On PostgreSQL, inserting 20,000 rows plus 20,000 history rows
through the ORM's ``bulk_create`` costs about 8 s on the bureau's 2-CPU machines — most of it
the ORM preparing each value — against a 5 s budget for the whole import. So on PostgreSQL new
rows and their ``+`` history rows go in with ``COPY``: the ids are taken from the table's
sequence first (one query), so the objects get their primary keys exactly as ``bulk_create``
would give them, and the history rows are the ones ``bulk_history_create`` would write."""

import csv
import io
import json
from functools import partial
from itertools import islice
from operator import attrgetter, itemgetter

from django.conf import settings
from django.db import connection
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cqo_registry import clock
from cqo_registry.encryption import EncryptedCharField, EncryptedJSONField

# COPY in CSV format: the csv module quotes in C, much faster than escaping each value in
# Python. NULL is spelled \N (a text cell holding exactly "\N" would be read as NULL; the
# bureau's files never hold one).
NULL = "\\N"
COPY_OPTIONS = "(FORMAT csv, NULL '\\N')"
# COPY's data goes to the server in chunks of about this many bytes, written 500 rows at a time.
COPY_CHUNK = 1 << 20
COPY_ROWS_PER_WRITE = 500


def _column_reader(fields):
    """A function giving an object's values for ``fields`` as a row for COPY."""
    names = [f.attname for f in fields]
    special = {}
    for index, field in enumerate(fields):
        kind = field.get_internal_type()
        if isinstance(field, EncryptedCharField | EncryptedJSONField):
            # Written as the field stores it: encrypted (issue 14 §2).
            special[index] = partial(field.get_db_prep_value, connection=connection)
        elif kind in ("FileField", "ImageField"):
            special[index] = lambda value: value.name or ""
        elif kind == "JSONField":
            special[index] = lambda value: json.dumps(value, ensure_ascii=False)
    get = attrgetter(*names) if len(names) > 1 else (lambda obj: (getattr(obj, names[0]),))

    def read(obj):
        row = [NULL if v is None else v for v in get(obj)]
        for index, convert in special.items():
            if row[index] is not NULL:
                row[index] = convert(row[index])
        return row

    return read


class _CsvStream:
    """A file-like object that ``copy_expert`` reads: ``rows`` written as CSV a chunk at a
    time, so the server parses one chunk while the next is written and memory holds one chunk
    (about ``COPY_CHUNK`` bytes), not the whole file."""

    def __init__(self, rows):
        self._rows = iter(rows)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def read(self, size: int = -1) -> str:
        buffer, writer = self._buffer, self._writer
        buffer.seek(0)
        buffer.truncate()
        for batch in iter(lambda: list(islice(self._rows, COPY_ROWS_PER_WRITE)), []):
            writer.writerows(batch)
            if size > 0 and buffer.tell() >= size:
                break
        return buffer.getvalue()


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    cursor.copy_expert(
        f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN {COPY_OPTIONS}",
        _CsvStream(rows),
        size=COPY_CHUNK,
    )


def _stamp_once(objs, fields) -> None:
    """Stamp the ``auto_now``/``auto_now_add`` fields of every object with one time: the
    first object's ``pre_save`` computes it (under an injected clock, that clock's time), the
    others take the same value — as ``bulk_create`` would give them within a millisecond, at a
    fraction of a per-row ``pre_save``."""
    auto = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    if not auto or not objs:
        return
    stamps = [(field.attname, field.pre_save(objs[0], add=True)) for field in auto]
    for obj in objs[1:]:
        for attname, value in stamps:
            setattr(obj, attname, value)


def _history_enabled(model) -> bool:
    return getattr(settings, "SIMPLE_HISTORY_ENABLED", True) and hasattr(model, "history")


def insert_with_history(objs, model, *, user=None, reason="", batch_size=1000) -> None:
    """Insert ``objs`` (unsaved instances of ``model``) and one ``+`` history row each; the
    instances get their primary keys."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        bulk_create_with_history(
            objs,
            model,
            batch_size=batch_size,
            default_user=user,
            default_change_reason=reason,
            default_date=clock.now(),
        )
        return
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    _stamp_once(objs, fields)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    read = _column_reader([opts.pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
        rows = list(map(read, objs))
        _copy(cursor.cursor, opts.db_table, [opts.pk.column] + [f.column for f in fields], rows)
        if not _history_enabled(model):
            return
        history = model.history.model
        tracked = {f.attname for f in history.tracked_fields}
        now = clock.now()
        user_id = getattr(user, "pk", None)
        extras = {
            "history_date": now,
            "history_change_reason": reason or None,
            "history_type": "+",
            "history_user_id": user_id,
        }
        # A history row repeats the tracked columns of the row just copied (as stored:
        # encrypted values stay encrypted), then the history's own columns.
        position = {f.attname: index for index, f in enumerate([opts.pk, *fields])}
        columns, picks, constants = [], [], []
        for field in history._meta.concrete_fields:
            if field.attname == "history_id":
                continue
            if field.attname in tracked and field.attname in position:
                columns.append(field.column)
                picks.append(position[field.attname])
            elif field.attname in extras:
                constants.append((field.column, extras[field.attname]))
            else:  # a history field we do not know how to fill: let simple_history do it
                model.history.bulk_history_create(
                    objs,
                    batch_size=batch_size,
                    default_user=user,
                    default_change_reason=reason,
                    default_date=now,
                )
                return

        pick = itemgetter(*picks) if len(picks) > 1 else (lambda row: (row[picks[0]],))
        tail = tuple(NULL if value is None else value for _c, value in constants)
        _copy(
            cursor.cursor,
            history._meta.db_table,
            columns + [c for c, _v in constants],
            (pick(row) + tail for row in rows),
        )


def update_with_history(objs, model, fields, *, user=None, reason="", batch_size=1000) -> None:
    """Update ``fields`` of ``objs`` and write one ``~`` history row each."""
    if not objs:
        return
    bulk_update_with_history(
        objs,
        model,
        list(fields),
        batch_size=batch_size,
        default_user=user,
        default_change_reason=reason,
        default_date=clock.now(),
    )


def instance_factory(model):
    """A fast constructor for new ``model`` instances from attnames (``town_id``, not
    ``town``): ``make(**values)`` → an unsaved instance, every field not named at its default.
    Raises ``TypeError`` for a name that is not a concrete field's attname, as the model's own
    constructor would.

    Django's ``Model.__init__`` costs ~10 µs a row even with positional arguments (a
    ``setattr`` per field and the ``pre_init``/``post_init`` signals), which matters at
    20,000 rows. When nothing listens to those signals for ``model`` the instance is built as
    ``Model.from_db`` builds one without the query: a fresh ``ModelState`` and the field values
    in its ``__dict__`` — where every field's descriptor reads them — then the fields whose
    descriptor acts on assignment set through it. Otherwise (a receiver that
    must see the instance being made) the model's constructor is called."""
    names = [field.attname for field in model._meta.concrete_fields]
    known = frozenset(names)
    # Fixed defaults are merged in one dict operation; callable ones are called per instance.
    fixed, computed = {}, []
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            computed.append((field.attname, field.get_default))
        else:
            fixed[field.attname] = field.get_default()

    def field_values(values: dict) -> dict:
        if not known.issuperset(values):
            unknown = ", ".join(sorted(values.keys() - known))
            raise TypeError(f"{model.__name__} has no field(s) {unknown}")
        merged = fixed | values
        for name, default in computed:
            if name not in values:
                merged[name] = default()
        return merged

    def construct(**values):
        merged = field_values(values)
        return model(*[merged[name] for name in names])

    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return construct

    new = model.__new__
    # Fields whose attribute does something when set (the ID number's lookup hash, a file's
    # wrapper) are set through it, after the plain values are in place; a foreign key's id
    # only forgets a cached related object, and a new instance has none.
    setters = [
        name
        for name in names
        if hasattr(type(getattr(model, name, None)), "__set__")
        and not isinstance(getattr(model, name), ForeignKeyDeferredAttribute)
    ]

    def make(**values):
        obj = new(model)
        obj._state = ModelState()
        merged = field_values(values)
        obj.__dict__.update(merged)
        for name in setters:
            setattr(obj, name, merged[name])
        return obj

    return make
