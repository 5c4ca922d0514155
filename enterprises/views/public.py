"""Public lookup (/public/, anyone, no login): does an enterprise have a filed CQO now?

Search by USCC (exact, in any spelling: spaces and lower case are normalised) or by a part of
the enterprise's name (at least two characters). Each match shows the enterprise's name and
town and, if it has a filed current CQO, that CQO's name and position — nothing else about the
person (PIPL minimisation: no ID number, no mobile). Rows are read as plain values, so a
template cannot reach any other field. Results are capped to discourage harvesting the
register through broad searches.
"""

from django import forms
from django.core.paginator import Paginator
from django.db.models import Aggregate, CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit

from appointments.models import Appointment
from appointments.registry import filed_current_on
from cqo_registry import params
from cqo_registry.accounts import throttles
from cqo_registry.quick_fields import CrispyFields

from ..models import Enterprise
from ..validators import check_uscc, normalize_uscc, search_code_problem

MIN_NAME_LENGTH = 2
MAX_RESULTS = 100
PER_PAGE = 20


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("统一社会信用代码或企业名称"),
        max_length=200,
        error_messages={"required": _("请输入统一社会信用代码或企业名称。")},
        widget=forms.TextInput(
            attrs={
                "placeholder": _("如：91340121MA2XXXXXXX 或 企业名称中的关键字"),
                "autofocus": True,
            }
        ),
    )

    def clean_q(self):
        text = self.cleaned_data["q"].strip()
        if len(text) < MIN_NAME_LENGTH:
            raise forms.ValidationError(
                _("请至少输入 %(count)s 个字符的企业名称，或完整的统一社会信用代码。")
                % {"count": MIN_NAME_LENGTH}
            )
        return text


def lookup_rows(text: str, day):
    """Enterprises matching ``text`` as plain dicts: name, USCC, town, deregistration, and the
    name and position of the filed current CQO at ``day`` (empty when there is none)."""
    current = Appointment.objects.filter(filed_current_on(day), enterprise=OuterRef("pk")).order_by(
        "-appointed_on", "-pk"
    )
    return (
        Enterprise.objects.filter(Q(uscc=normalize_uscc(text)) | Q(name__icontains=text))
        .annotate(
            cqo_name=Subquery(current.values("person__name")[:1]),
            cqo_position=Subquery(current.values("position")[:1]),
        )
        .order_by("name", "pk")
        .values("pk", "name", "uscc", "town__name", "deregistered_on", "cqo_name", "cqo_position")
    )


# Separators of the posts held, packed into one text column of the lookup's one query:
# ASCII's unit and record separators, which no name or position typed in a form contains.
FIELD_SEP, ITEM_SEP = "\x1e", "\x1f"


class _Joined(Aggregate):
    """Text values joined by a separator: ``STRING_AGG`` on PostgreSQL, ``GROUP_CONCAT`` on
    SQLite (both take the separator as their second argument)."""

    function = "STRING_AGG"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def posts_held_column(day):
    """Per enterprise row: the other posts than the CQO's (issue 19) filled at ``day``, as
    one text column (``code``, holder's name and position per holder; see
    :func:`unpack_posts_held`) — a subquery of the lookup's own query, so the page keeps its
    query count."""
    from appointments.models import CQO_POST

    packed = Concat(
        "post_id",
        Value(FIELD_SEP),
        "person__name",
        Value(FIELD_SEP),
        "position",
        output_field=CharField(),
    )
    held = (
        Appointment.objects.filter(filed_current_on(day, post=None), enterprise=OuterRef("pk"))
        .exclude(post=CQO_POST)
        .order_by()
        .values("enterprise")
        .annotate(held=_Joined(packed, Value(ITEM_SEP)))
        .values("held")
    )
    return Subquery(held, output_field=CharField())


def unpack_posts_held(text: str | None) -> list[dict]:
    """The posts held, from :func:`posts_held_column`: ``{"post", "name", "position"}`` in
    the board's order, the post's name in the current language — as for the CQO, the
    holder's name and position and nothing else about them (PIPL minimisation)."""
    from appointments.posts import post_choices

    if not text:
        return []
    names = post_choices()
    order = {code: index for index, (code, _name) in enumerate(names)}
    names = dict(names)
    held = []
    for item in text.split(ITEM_SEP):
        code, name, position = (item.split(FIELD_SEP) + ["", "", ""])[:3]
        if code in names:  # an inactive post is not shown
            held.append({"code": code, "post": names[code], "name": name, "position": position})
    held.sort(key=lambda h: (order[h["code"]], h["name"]))
    return held


@ratelimit(group=throttles.PUBLIC_LOOKUP, key=throttles.ip_key, rate=throttles.public_lookup_rate)
def lookup(request):
    """``CQO_PUBLIC_LOOKUP_RATE`` requests per IP address (60 a minute), then 429: the
    register cannot be harvested by a script."""
    today = timezone.localdate()
    form = LookupForm(request.GET if "q" in request.GET else None)
    context = {
        "form": form,
        # The search box as crispy renders it, kept per process for the same text and errors.
        "fields": CrispyFields(form),
        "page": None,
        "truncated": False,
        "max_results": MAX_RESULTS,
    }
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["q"]
        found = lookup_rows(text, today).annotate(posts_held=posts_held_column(today))
        rows = list(found[: MAX_RESULTS + 1])
        # Beside the rows, not in them: a row carries only what the CQO's answer shows.
        held = {row["pk"]: unpack_posts_held(row.pop("posts_held")) for row in rows}
        context["truncated"] = len(rows) > MAX_RESULTS
        rows = rows[:MAX_RESULTS]
        for row in rows:
            row["deregistered"] = bool(row["deregistered_on"] and row["deregistered_on"] <= today)
        page = params.page(request, Paginator(rows, PER_PAGE))
        context["results"] = [(row, held.get(row["pk"], [])) for row in page.object_list]
        context.update(
            page=page, query=params.query_without(request, "page"), today=today, searched=True
        )
        if not rows:
            context["code_problem"] = search_code_problem(text, check_uscc)
    return render(request, "public/lookup.html", context)
