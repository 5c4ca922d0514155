"""Role-scoped reads of appointments and filings, and the review queue's prepared rows."""

import functools
from datetime import date

from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from cqo_registry import keyed_statements
from cqo_registry.accounts import access
from cqo_registry.pages import pk_url
from enterprises.models import Town

from .models import Appointment, Filing, FilingKind, FilingStatus, PostType


def appointment_list(user) -> QuerySet[Appointment]:
    return access.scope(
        Appointment.objects.select_related("enterprise__town", "person"),
        user,
        town_field="enterprise__town",
        enterprise_field="enterprise",
    )


def filing_list(user) -> QuerySet[Filing]:
    return access.scope(
        Filing.objects.select_related("enterprise__town", "appointment__person", "post"),
        user,
        town_field="enterprise__town",
        enterprise_field="enterprise",
    )


# --- The review queue's rows (issue 15 §1) ---------------------------------------------------


class Row(dict):
    """One prepared row of a list: the strings its cells print, read by key in templates (a
    dict lookup, the template engine's first try) and by attribute in Python (``row.pk``)."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _days(n: int, said: dict[int, str]) -> str:
    """ "N 天" in the current language, remembered in ``said`` (:func:`_texts`' dict of the
    current language). The msgid of the templates' {% blocktranslate count days=… %}{{ days }}
    天…"""
    text = said.get(n)
    if text is None:
        if len(said) >= _TEXTS_KEPT:  # bounded: days are a few hundred values in practice
            said.clear()
        text = said[n] = ngettext("%(days)s 天", "%(days)s 天", n) % {"days": n}
    return text


# "N 天" texts kept per language (per process): the catalogs do not change while it runs.
_TEXTS_KEPT = 4096
_SAID: dict[str, dict[int, str]] = {}


@functools.lru_cache(maxsize=16)
def _labels(language: str) -> tuple[dict, dict, str, dict[int, str]]:
    """The kinds' labels, the statuses' labels, "解聘" and the dict of "N 天" texts, in
    ``language`` — which must be the current language (it keys the cache). Translated once
    per process: a page translated its ten labels and thirty day counts on every request
    (issue 15 §1)."""
    kinds = {value: str(label) for value, label in FilingKind.choices}
    statuses = {value: str(label) for value, label in FilingStatus.choices}
    return kinds, statuses, _("解聘"), _SAID.setdefault(language, {})


def queue_rows(keys: list[int], today: date, using: str) -> list[Row]:
    """The review queue's rows of filings ``keys`` (one page's primary keys, already chosen by
    the scoped queryset's filters, order and slice), in the keys' order, each a :class:`Row`
    of what its cells print (issue 15 §1): ``pk``, ``review_url``, ``submitted`` ("Y-m-d H:i"
    local time, "" before submission), ``kind``, ``kind_label``, ``enterprise_name``,
    ``uscc``, ``town_name`` ("" without a town), ``post_id``, ``post_name`` (its English name
    in English when set), ``person_name``, ``note`` (who a change replaces, or a dismissal's
    end date; "" otherwise), ``days_waiting`` (days since submission of a submitted filing as
    of ``today``, else None) with ``waiting`` its text ("—" when None), ``days_to_submit``
    with ``to_submit`` its text, ``is_late``, ``status``, ``status_label`` and ``number``
    ("" when none). A key whose filing is gone is left out. One query on database
    ``using`` (none for no keys).

    The keys are not scoped again: they come from the user's scoped list. The statement is
    compiled once per process for each language's post name and number of keys
    (``cqo_registry.keyed_statements``): building and compiling its four subqueries was a
    third of the page's CPU."""
    if not keys:
        return []
    english = (get_language() or "").startswith("en")
    statement = keyed_statements.keyed_statement(
        ("review-queue", english), len(keys), lambda marks: _queue_values(marks, english), using
    )
    found = {row["pk"]: row for row in statement.rows(keys, using)}
    labels = _RowLabels(today)
    return [labels.row(found[pk]) for pk in keys if pk in found]


def _queue_values(keys: list[int], english: bool) -> QuerySet:
    """The ``values()`` queryset of the filings ``keys`` with the columns :func:`queue_rows`
    prints. The names are read by subqueries, not joins: a join of the filing with its
    enterprise, town, post, appointments and persons (eight relations) took PostgreSQL 17–30
    ms to plan at 100k enterprises, for 1 ms of execution; only the enterprise is joined."""

    def person(appointment_field: str):
        return Subquery(
            Appointment.objects.filter(pk=OuterRef(appointment_field))
            .order_by()
            .values("person__name")[:1]
        )

    post_name = Coalesce(NullIf("name_en", Value("")), "name") if english else F("name")
    return (
        Filing.objects.filter(pk__in=keys)
        .order_by()
        .values(
            "pk",
            "kind",
            "status",
            "submitted_at",
            "post_id",
            "end_date",
            "days_to_submit",
            "is_late",
            "number",
            "replaces_id",
            enterprise_name=F("enterprise__name"),
            uscc=F("enterprise__uscc"),
            town_name=Subquery(
                Town.objects.filter(pk=OuterRef("enterprise__town_id"))
                .order_by()
                .values("name")[:1]
            ),
            post_name=Subquery(
                PostType.objects.filter(code=OuterRef("post_id"))
                .order_by()
                .values(name_shown=post_name)[:1]
            ),
            person_name=person("appointment_id"),
            replaced_name=person("replaces_id"),
        )
    )


class _RowLabels:
    """What a page's rows share: the labels of kinds and statuses, texts of day counts, the
    review URL, the local time zone and ``today``; :meth:`row` makes one :class:`Row`."""

    def __init__(self, today: date):
        self.today = today
        self.kinds, self.statuses, self.dismissal, self.said = _labels(get_language())
        self.review_url = pk_url("review:filing")
        self.zone = timezone.get_current_timezone()

    def row(self, row: dict) -> Row:
        """The :class:`Row` of one ``values()`` row of :func:`_queue_values`."""
        submitted_at = row["submitted_at"]
        # What timezone.localtime() does, its checks once a page rather than twice a row.
        local = submitted_at.astimezone(self.zone) if submitted_at else None
        waiting = (
            (self.today - local.date()).days
            if local and row["status"] == FilingStatus.SUBMITTED
            else None
        )
        to_submit = row["days_to_submit"]
        return Row(
            pk=row["pk"],
            review_url=self.review_url(row["pk"]),
            submitted=local.strftime("%Y-%m-%d %H:%M") if local else "",
            kind=row["kind"],
            kind_label=self.kinds.get(row["kind"], row["kind"]),
            enterprise_name=row["enterprise_name"],
            uscc=row["uscc"],
            town_name=row["town_name"] or "",
            post_id=row["post_id"],
            post_name=row["post_name"] or "",
            person_name=row["person_name"] or "",
            note=self.note(row),
            days_waiting=waiting,
            waiting=_days(waiting, self.said) if waiting is not None else "—",
            days_to_submit=to_submit,
            to_submit=_days(to_submit, self.said) if to_submit is not None else "",
            is_late=row["is_late"],
            status=row["status"],
            status_label=self.statuses.get(row["status"], row["status"]),
            number=row["number"] or "",
        )

    def note(self, row: dict) -> str:
        """Whom a change replaces, or a dismissal's end date; "" otherwise."""
        if row["kind"] == FilingKind.CHANGE and row["replaces_id"]:
            return _("接替 %(name)s") % {"name": row["replaced_name"]}
        if row["kind"] == FilingKind.DISMISS:
            end = row["end_date"]
            return f"{self.dismissal} {end.isoformat() if end else ''}"
        return ""
