"""Keyset ("seek") pages of an ordered list, and the signed cursor that carries a page's
boundary in a link (issue 11 §1: a drill-down page costs the same at any depth).

A list is ordered by :class:`SortKey` columns whose last one is unique (the primary key), so
every row has one position. A page is the ``size`` rows strictly after (or, going back,
strictly before) the boundary row's key values::

    WHERE (k1, k2, …, pk) > (v1, v2, …, id) ORDER BY k1, k2, …, pk LIMIT size + 1

written as ``k1 > v1 OR (k1 = v1 AND (k2 > v2 OR …))`` so that NULLs (sorted last in either
direction, the same on SQLite and PostgreSQL), descending columns and annotations work alike,
plus ``k1 >= v1`` for an index on the leading column to start from. No OFFSET: the database
skips nothing it has to read and throw away.

The cursor is the boundary's values, the direction, the page number and whatever the caller
adds (the list it belongs to, its count), signed with ``django.core.signing``; anything that
does not verify or does not have the expected shape is :class:`InvalidCursor`.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import and_, or_

from django.core import signing
from django.db.models import Exists, F, Q, QuerySet
from django.db.models.expressions import OrderBy

FORWARD, BACKWARD = "next", "prev"


class InvalidCursor(ValueError):
    """A cursor that was altered, was made for another list or user, or is not a cursor."""


@dataclass(frozen=True)
class SortKey:
    """One ordering column: a field path or annotation name (``town__code``,
    ``vacancy_start``, ``pk``), its direction, and whether it can be NULL (NULLs sort after
    every value, ascending or descending)."""

    field: str
    descending: bool = False
    nullable: bool = False

    def order_by(self, backward: bool = False) -> OrderBy:
        descending = self.descending != backward
        # Going back reverses the whole order, NULLs included: they come first then.
        nulls = {"nulls_first": True} if backward else {"nulls_last": True}
        expression = F(self.field)
        return expression.desc(**nulls) if descending else expression.asc(**nulls)

    def later(self, value, backward: bool = False) -> Q | None:
        """The rows that come after ``value`` in this column (``None``: none can)."""
        descending = self.descending != backward
        nulls_last = not backward
        if value is None:
            if nulls_last or not self.nullable:
                return None
            return Q(**{f"{self.field}__isnull": False})
        beyond = Q(**{f"{self.field}__{'lt' if descending else 'gt'}": value})
        if self.nullable and nulls_last:
            beyond |= Q(**{f"{self.field}__isnull": True})
        return beyond

    def same(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.field}__isnull": True})
        return Q(**{self.field: value})

    def bound(self, value, backward: bool = False) -> Q | None:
        """A range on this column alone that every later row lies in (``k1 >= v1``): what
        lets an index on the leading column start at the boundary instead of at the top."""
        if value is None or self.nullable:
            return None
        descending = self.descending != backward
        return Q(**{f"{self.field}__{'lte' if descending else 'gte'}": value})


class Probe(Exists):
    """``EXISTS (subquery)`` that the database evaluates for each row it is asked of — an
    index probe per row — and never rewrites into a join: ``OFFSET 0`` is PostgreSQL's
    optimisation fence (a subquery with an OFFSET is not pulled up into a semi/anti-join,
    nor run once into a hash). For a keyset page that walks an index from its boundary
    and stops after ``size + 1`` matches, this keeps the page's cost to a few probes per row
    walked, whatever the planner estimates: a join the planner may hash reads the whole
    population on every page (issue 11 §1). SQLite runs any EXISTS row by row; ``LIMIT 1
    OFFSET 0`` means the same there. Filtering on ``~Probe(…)`` gives ``NOT EXISTS``."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def ordering(keys: tuple[SortKey, ...], backward: bool = False) -> list[OrderBy]:
    return [key.order_by(backward) for key in keys]


def after(keys: tuple[SortKey, ...], values: list, backward: bool = False) -> Q:
    """The rows strictly after the row whose key values are ``values`` (before it when
    ``backward``), in the order of ``keys``."""
    if len(values) != len(keys):
        raise InvalidCursor("wrong number of key values")
    alternatives = []
    for i, key in enumerate(keys):
        later = key.later(values[i], backward)
        if later is None:
            continue
        equal = [keys[j].same(values[j]) for j in range(i)]
        alternatives.append(reduce(and_, [*equal, later]))
    if not alternatives:
        return Q(pk__in=[])  # the boundary is the last row there can be
    condition = reduce(or_, alternatives)
    bound = keys[0].bound(values[0], backward)
    return condition if bound is None else bound & condition


def seek(
    queryset: QuerySet, keys: tuple[SortKey, ...], values: list | None, *, backward=False
) -> QuerySet:
    """``queryset`` ordered by ``keys`` (reversed when ``backward``), starting after the row
    whose key values are ``values`` (from the top when ``None``)."""
    if values is not None:
        queryset = queryset.filter(after(keys, values, backward))
    return queryset.order_by(*ordering(keys, backward))


# --- The cursor ------------------------------------------------------------------------------


def _tag(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"not a key value: {value!r}")


def _untag(value):
    if isinstance(value, dict):
        if len(value) != 1:
            raise InvalidCursor("bad key value")
        ((tag, text),) = value.items()
        if not isinstance(text, str):
            raise InvalidCursor("bad key value")
        try:
            if tag == "t":
                parsed = datetime.fromisoformat(text)
                if parsed.tzinfo is None:
                    raise InvalidCursor("a time without its zone")
                return parsed
            if tag == "d":
                return date.fromisoformat(text)
        except ValueError as error:
            raise InvalidCursor("bad date") from error
        raise InvalidCursor("bad key value")
    if value is None or isinstance(value, str | int | bool):
        if isinstance(value, str) and "\x00" in value:
            raise InvalidCursor("NUL in a key value")
        return value
    raise InvalidCursor("bad key value")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (``direction`` ``next``) or before (``prev``) the row whose
    sort key values are ``values``; ``number`` is the page's number (1 for the first),
    ``scope`` says which list and user it was made for, ``extra`` is the caller's (JSON)."""

    direction: str
    values: list
    number: int
    scope: str
    extra: dict

    def sign(self, salt: str) -> str:
        payload = {
            "d": self.direction,
            "v": [_tag(v) for v in self.values],
            "n": self.number,
            "s": self.scope,
            "x": self.extra,
        }
        return signing.dumps(payload, salt=salt, compress=True)

    @classmethod
    def load(cls, token: str, *, salt: str, scope: str, max_length: int = 4000) -> "Cursor":
        """The cursor in ``token``; :class:`InvalidCursor` unless it verifies, was made for
        ``scope`` and has the shape :meth:`sign` gives."""
        if not isinstance(token, str) or not token or len(token) > max_length:
            raise InvalidCursor("no cursor")
        try:
            payload = signing.loads(token, salt=salt)
        except (signing.BadSignature, ValueError, UnicodeError) as error:
            raise InvalidCursor("does not verify") from error
        if not isinstance(payload, dict) or payload.get("s") != scope:
            raise InvalidCursor("made for another list")
        direction, values, number = payload.get("d"), payload.get("v"), payload.get("n")
        extra = payload.get("x")
        if direction not in (FORWARD, BACKWARD) or not isinstance(values, list):
            raise InvalidCursor("bad shape")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 10**9:
            raise InvalidCursor("bad page number")
        if not isinstance(extra, dict):
            raise InvalidCursor("bad shape")
        return cls(direction, [_untag(v) for v in values], number, scope, extra)
