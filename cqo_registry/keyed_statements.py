"""A page's rows read by a statement compiled once per process (issue 15 §1).

A list page picks its 50 primary keys first (filters, order, keyset), then reads those rows
with their display columns: a queryset with several correlated subqueries
(``Subquery``/``Exists`` for the CQO, the vacancy start…). Building and compiling such a
queryset is pure Python and the same on every request but for the keys: a few milliseconds,
a large part of a page's CPU. :func:`keyed_statement` compiles it once for a memo key that
holds everything the queryset depends on (database, day, scope, kind…) and the number of
keys; :meth:`KeyedStatement.rows` runs it with a page's keys and converts the values as the
ORM's ``values()`` does (its own converters: booleans and dates on SQLite, a field's
``from_db_value``).

On PostgreSQL the statement is also *prepared* once per database connection (``PREPARE``,
then ``EXECUTE`` with the page's keys): PostgreSQL planned these statements anew on every
request — 0.3–0.8 ms, more than running them — and after five runs of a prepared statement it
keeps a generic plan when that plan is no dearer than the ones it made. The prepared text is
the compiled SQL with every parameter but the keys written in as psycopg2 quotes it, and the
keys as ``$1``…``$n``. A connection keeps at most :data:`PREPARED_KEPT` (the oldest is
deallocated: each costs the server process its plans' memory). A connection whose prepared
statements cannot be trusted any more (an error while preparing or running one) goes back to
plain statements, and outside a transaction reads that page's rows by the plain statement at
once. ``CQO_PREPARED_STATEMENTS = False`` turns this off — behind a pooler that hands one
server connection to several clients (PgBouncer in transaction mode), and in the test
settings, whose assertions read the captured SQL (tests/infra/test_keyed_statements.py turns
it on and checks the rows).

Used by the registry list (``reports.enterprise_registry.page_rows``), the drill-down's
enterprise lists (``reports.selectors.drilldown.Kind.read_page``), the vacancy lists
(``enterprises.vacancies.vacancy_page_rows``), the untrained CQOs
(``training.views.sessions._untrained_values``) and the review queue
(``appointments.selectors.queue_rows``).
"""

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import QuerySet

# Key i stands as ``KEY_MARK - i`` in a statement being compiled: no primary key is negative.
KEY_MARK = -7_000_000
# Statements kept per process, least recently used out. A day, a scope and a number of keys
# make one for each list: a few dozen a day.
STATEMENTS_KEPT = 512
# Prepared statements kept per PostgreSQL connection, oldest deallocated first. Each holds its
# plans in the server process: ~270 kB for a registry or vacancy page's statement, so 32 of
# them ~9 MB per connection (to the primary and to the replica alike).
PREPARED_KEPT = 32


@dataclass(frozen=True)
class KeyedStatement:
    """A ``values()`` queryset compiled for ``len(slots)`` keys."""

    sql: str
    params: tuple  # with a mark where each key goes
    slots: tuple[int, ...]  # where key i goes in ``params``
    names: tuple[str, ...]  # the selected columns' names, in order
    # (column position, converters, expression): what the ORM applies to a column's values.
    converters: tuple[tuple[int, tuple, object], ...]
    # PostgreSQL: the name and text to prepare it by (see the module's docstring); else "".
    prepared_name: str = ""
    prepared_text: str = ""

    def rows(self, keys: Sequence[int], using: str) -> list[dict]:
        """The rows of ``keys`` (as many as the statement was compiled for; any order), as
        dicts by column name, values converted as the ORM converts them; on database
        ``using``. One query (on PostgreSQL a prepared statement's ``EXECUTE``, with its
        ``PREPARE`` in the same round trip the first time on a connection)."""
        keys = [int(key) for key in keys]
        if len(keys) != len(self.slots):
            raise ValueError(f"{len(keys)} keys for a statement of {len(self.slots)}")
        connection = connections[using]
        with connection.cursor() as cursor:
            fetched = _prepared_rows(self, cursor, connection, keys)
            if fetched is None:
                params = list(self.params)
                for slot, key in zip(self.slots, keys, strict=True):
                    params[slot] = key
                cursor.execute(self.sql, params)
                fetched = cursor.fetchall()
        names, converters = self.names, self.converters
        rows = []
        for values in fetched:
            if converters:
                values = list(values)
                for position, functions, expression in converters:
                    value = values[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    values[position] = value
            rows.append(dict(zip(names, values, strict=True)))
        return rows


_STATEMENTS: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def keyed_statement(
    memo_key: Hashable, count: int, build: Callable[[list[int]], QuerySet], using: str
) -> KeyedStatement | None:
    """The statement of ``build(keys)`` — a ``values()`` queryset of the rows whose primary
    keys are ``keys`` (``pk__in=keys`` somewhere in it, each key once) — for ``count`` keys
    on database ``using``, compiled on first use and kept for ``(memo_key, count, using)``.
    ``memo_key`` must hold everything but the keys that the queryset depends on (day,
    scope, kind…). ``None`` for a queryset that can match nothing (an empty scope). Raises
    ``RuntimeError`` if the compiled parameters do not hold each key once (it would mean
    the ORM rewrote the ``IN`` list)."""
    kept = (memo_key, count, using)
    with _LOCK:
        if kept in _STATEMENTS:
            _STATEMENTS.move_to_end(kept)
            return _STATEMENTS[kept]
    statement = _compile(build, count, using)
    with _LOCK:
        _STATEMENTS[kept] = statement
        while len(_STATEMENTS) > STATEMENTS_KEPT:
            _STATEMENTS.popitem(last=False)
    return statement


def _compile(build, count: int, using: str) -> KeyedStatement | None:
    marks = [KEY_MARK - i for i in range(count)]
    query = build(marks).query
    # The names ``ValuesIterable`` gives the columns.
    if query.selected:
        names = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    compiler = query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    params = tuple(params)
    found = [i for i, value in enumerate(params) if type(value) is int and value in marks]
    if len(found) != count:
        raise RuntimeError("a keyed statement must hold each key once")
    selected = [column for column, _sql, _alias in compiler.select]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(selected).items()
    )
    slots = tuple(params.index(mark) for mark in marks)
    prepared_name, prepared_text = _prepared_text(sql, params, slots, using)
    return KeyedStatement(
        sql=sql,
        params=params,
        slots=slots,
        names=names,
        converters=converters,
        prepared_name=prepared_name,
        prepared_text=prepared_text,
    )


def clear() -> None:
    """Forget every compiled statement (tests that change what a statement depends on
    without changing its memo key: settings, a model's field)."""
    with _LOCK:
        _STATEMENTS.clear()


# --- Prepared statements (PostgreSQL) -----------------------------------------------------------


class _Key:
    """Where key ``number`` goes in the prepared text: psycopg2 writes ``$number`` for it."""

    def __init__(self, number: int):
        self.number = number

    def __conform__(self, protocol):
        return self

    def getquoted(self) -> bytes:
        return f"${self.number}".encode()


# Per raw connection (psycopg2's, which a reconnection replaces): the names prepared on it, in
# the order last used; ``None`` for a connection that reads plain statements only.
_PREPARED: "weakref.WeakKeyDictionary[object, OrderedDict | None]" = weakref.WeakKeyDictionary()


def _prepared_text(sql: str, params: tuple, slots: tuple, using: str) -> tuple[str, str]:
    """``(name, text)`` to prepare a statement by on PostgreSQL: its SQL with its parameters
    written in (psycopg2's quoting) but the keys, which are ``$1``…``$n``, and a name that is
    a digest of that text; ``("", "")`` on other databases."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return "", ""
    params = list(params)
    for number, slot in enumerate(slots, start=1):
        params[slot] = _Key(number)
    with connection.cursor() as cursor:
        text = cursor.mogrify(sql, params).decode()
    return "cqo_keyed_" + hashlib.sha256(text.encode()).hexdigest()[:24], text


def _prepared_rows(statement: KeyedStatement, cursor, connection, keys: list[int]):
    """The fetched rows of ``statement`` for ``keys`` by its prepared statement on this
    connection (prepared in the same round trip when new), or ``None`` where prepared
    statements are not used (another database, turned off, or this connection gave them up —
    at its first error, which is raised inside a transaction, and outside one answered by the
    plain statement)."""
    if not statement.prepared_name or not getattr(settings, "CQO_PREPARED_STATEMENTS", True):
        return None
    raw = connection.connection
    with _LOCK:
        if raw not in _PREPARED:
            _PREPARED[raw] = OrderedDict()
        names = _PREPARED[raw]
    if names is None:
        return None
    name, text = statement.prepared_name, statement.prepared_text
    arguments = ", ".join(["%s"] * len(keys))
    sql = f"EXECUTE {name} ({arguments})"
    prepared = name in names
    dropped = []
    if not prepared:
        while len(names) >= PREPARED_KEPT:
            dropped.append(names.popitem(last=False)[0])
        # The text has its values written in: a "%" in them is not a placeholder.
        prepare = f"PREPARE {name} AS {text.replace('%', '%%')}"
        sql = "; ".join([*(f"DEALLOCATE {old}" for old in dropped), prepare, sql])
    try:
        cursor.execute(sql, keys)
        fetched = cursor.fetchall()
    except DatabaseError:
        # What this connection holds is no longer known (a statement deallocated behind our
        # back, a PREPARE that ran before its EXECUTE failed): plain statements from now on,
        # this one too when no transaction was spoiled by the error.
        with _LOCK:
            _PREPARED[raw] = None
        if connection.in_atomic_block:
            raise
        return None
    names[name] = None
    names.move_to_end(name)
    return fetched
