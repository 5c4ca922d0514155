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

Used by the registry list (``reports.enterprise_registry.page_rows``), the drill-down's
enterprise lists (``reports.selectors.drilldown.Kind.read_page``), the vacancy lists
(``enterprises.vacancies.vacancy_page_rows``), the untrained CQOs
(``training.views.sessions._untrained_values``) and the review queue
(``appointments.selectors.queue_rows``).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Key i stands as ``KEY_MARK - i`` in a statement being compiled: no primary key is negative.
KEY_MARK = -7_000_000
# Statements kept per process, least recently used out. A day, a scope and a number of keys
# make one for each list: a few dozen a day.
STATEMENTS_KEPT = 512


@dataclass(frozen=True)
class KeyedStatement:
    """A ``values()`` queryset compiled for ``len(slots)`` keys."""

    sql: str
    params: tuple  # with a mark where each key goes
    slots: tuple[int, ...]  # where key i goes in ``params``
    names: tuple[str, ...]  # the selected columns' names, in order
    # (column position, converters, expression): what the ORM applies to a column's values.
    converters: tuple[tuple[int, tuple, object], ...]

    def rows(self, keys: Sequence[int], using: str) -> list[dict]:
        """The rows of ``keys`` (as many as the statement was compiled for; any order), as
        dicts by column name, values converted as the ORM converts them; on database
        ``using``. One query."""
        params = list(self.params)
        for slot, key in zip(self.slots, keys, strict=True):
            params[slot] = int(key)
        connection = connections[using]
        with connection.cursor() as cursor:
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
    return KeyedStatement(
        sql=sql,
        params=params,
        slots=tuple(params.index(mark) for mark in marks),
        names=names,
        converters=converters,
    )


def clear() -> None:
    """Forget every compiled statement (tests that change what a statement depends on
    without changing its memo key: settings, a model's field)."""
    with _LOCK:
        _STATEMENTS.clear()
