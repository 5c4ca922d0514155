""" "Explain this number" for the targets of a post (issue 19): the enterprises that must fill
the post, counted when it is filled, and the persons holding it, counted when trained for it.

The rows are built from the engine's own sets (``statistics.post_enterprise_population``,
``statistics.post_appointments``) and the posts' rules (``appointments.posts``), so
``len(counted rows) == figure.counted`` and ``len(all rows) == figure.population`` as for the
CQO's targets. Paging reuses the keyset of :mod:`.drilldown` (the enterprises walk the towns
as T1's do; the persons are sought by name), scope and filters are the CQO lists' own. The
two kinds are registered in ``POST_KINDS`` when this module is imported (``reports.selectors``
imports it), under the slugs ``explained_for_code`` gives a post target's population.
"""

from datetime import date

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from appointments.models import Appointment, PostType
from appointments.posts import (
    has_filled_post,
    is_post_trained,
    post_filed_current_on,
    post_vacant_since,
    yearly_hours,
)
from cqo_registry.cells import escape_text
from enterprises.models import Enterprise, Person

from .. import statistics
from .drilldown import (
    POST_KINDS,
    EnterpriseKind,
    PersonKind,
    narrow_appointments,
    narrow_enterprises,
    with_current_appointments,
)
from .keyset import ordering


def _post(explained) -> PostType:
    return explained.target.post


def _holder(post: PostType, day: date, field: str) -> Subquery:
    """Per enterprise: ``field`` of its first current holder of ``post`` at ``day``."""
    current = Appointment.objects.filter(
        post_filed_current_on(post, day), enterprise=OuterRef("pk")
    ).order_by("appointed_on", "pk")
    return Subquery(current.values(field)[:1])


def _holder_count(post: PostType, day: date) -> Coalesce:
    """Per enterprise: how many current holders of ``post`` it has at ``day``."""
    count = (
        Appointment.objects.filter(post_filed_current_on(post, day), enterprise=OuterRef("pk"))
        .order_by()
        .values("enterprise")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


class PostEnterpriseKind(EnterpriseKind):
    """The active enterprises that must fill a target's post, ``counted`` when the post is
    filled (a filed current holder at D; for an at-least-one post, one or more), with their
    first holder, the number of holders and, for a vacant post, the board's vacant-since."""

    slug = "post_enterprises"
    counted_label = _("已配备")
    missing_label = _("未配备")

    def holder_columns(self, post: PostType, day: date) -> dict:
        return {
            "holder_name": _holder(post, day, "person__name"),
            "holder_appointed_on": _holder(post, day, "appointed_on"),
            "holder_count": _holder_count(post, day),
            "vacancy_start": post_vacant_since(post, day),
        }

    def rows(self, explained, day, *, user, town_id=None, industry="", search="", paged=False):
        """As :meth:`Kind.rows`; ``paged`` changes nothing: a post's lists are read in one
        shape, whole or by page."""
        post = _post(explained)
        queryset = (
            statistics.post_enterprise_population(post, day)
            .annotate(counted=has_filled_post(post, day))
            .select_related("town")
            .annotate(**self.holder_columns(post, day))
        )
        queryset = narrow_enterprises(
            queryset, town_id=town_id, industry=industry, search=search, user=user
        )
        return queryset.order_by(*ordering(self.sort_keys))

    def page_memo_key(self, explained, day):
        # The rows read the post: its code (the holders, the filled mark) and the day from
        # which it is in force (the vacancy start); the CQO's vacancy start reads the time
        # zone and the limit (``EnterpriseKind.page_memo_key``).
        post = _post(explained)
        return (*super().page_memo_key(explained, day), post.code, post.in_force_from)

    def page_rows(self, explained, day, keys, *, user, **filters):
        post = _post(explained)
        return (
            Enterprise.objects.filter(pk__in=keys)
            .select_related("town")
            .annotate(counted=has_filled_post(post, day), **self.holder_columns(post, day))
        )

    def holder_cell(self, row) -> str:
        """The post's cell of a row (``post_enterprises.html``'s block, byte for byte): the
        first holder, "等 N 人" when there are more, the appointment date; ``—`` without."""
        if not row.holder_name:
            return "<td>—</td>"
        others = ""
        if row.holder_count > 1:
            n = row.holder_count
            text = ngettext("等 %(n)s 人", "等 %(n)s 人", n) % {"n": n}
            others = f' <span class="text-muted small" data-holders="{n}">{text}</span>'
        appointed = row.holder_appointed_on.isoformat() if row.holder_appointed_on else ""
        name = escape_text(row.holder_name)
        return f'<td>{name}{others} <span class="text-muted small">{appointed}</span></td>'

    def incumbent_columns(self):
        return [
            (_("在岗人员"), 12, lambda e: e.holder_name or ""),
            (_("在岗人数"), 10, lambda e: e.holder_count),
            (_("聘任日期"), 12, lambda e: e.holder_appointed_on or ""),
        ]


class PostPersonKind(PersonKind):
    """The persons holding a target's post at D in active enterprises (the engine's
    ``post_appointments``), each with those appointments and their training hours of D's
    year up to D, ``counted`` when trained for the post (``posts.post_trained_persons``).
    The list, its table and its columns are T3's (:class:`~.drilldown.PersonKind`) but for
    the training column, the year's hours."""

    slug = "post_persons"
    counted_label = _("培训达标")
    missing_label = _("培训未达标")
    shows_id_numbers = True

    @staticmethod
    def post_appointments(post, day, *, town_id=None, industry=None, search="", user=None):
        return narrow_appointments(
            statistics.post_appointments(post, day),
            town_id=town_id,
            industry=industry,
            search=search,
            user=user,
        )

    @staticmethod
    def post_persons(post, day, appointments) -> QuerySet[Person]:
        persons = Person.objects.filter(pk__in=appointments.values("person")).annotate(
            counted=is_post_trained(post, day), hours=yearly_hours(day)
        )
        return with_current_appointments(persons, appointments)

    def rows(self, explained, day, *, user, town_id=None, industry="", search="", paged=False):
        """As :meth:`Kind.rows`; ``paged`` changes nothing: a post's lists are read in one
        shape, whole or by page."""
        post = _post(explained)
        appointments = self.post_appointments(
            post, day, town_id=town_id, industry=industry, search=search, user=user
        )
        return self.post_persons(post, day, appointments).order_by(*ordering(self.sort_keys))

    def page_rows(self, explained, day, keys, *, user, town_id=None, industry="", search=""):
        post = _post(explained)
        appointments = self.post_appointments(
            post, day, town_id=town_id, industry=industry, search=search, user=user
        ).filter(person__in=keys)
        return self.post_persons(post, day, appointments).filter(pk__in=keys)

    def training_column(self):
        return (_("本年度培训学时"), 14, lambda p: p.hours or 0)


POST_KINDS.update({kind.slug: kind for kind in (PostEnterpriseKind(), PostPersonKind())})
