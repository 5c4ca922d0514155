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
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit

from appointments.models import Appointment
from appointments.registry import filed_current_on
from cqo_registry import params
from cqo_registry.accounts import throttles

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


def posts_held(enterprise_ids, day) -> dict[int, list[dict]]:
    """The other posts than the CQO's (issue 19) filled at ``day`` by the enterprises of
    ``enterprise_ids``: per enterprise id, ``{"post", "name", "position"}`` in the board's
    order — the post's name in the current language and, as for the CQO, the holder's name
    and position and nothing else about them (PIPL minimisation). One query."""
    from appointments.models import CQO_POST

    held: dict[int, list[dict]] = {}
    rows = (
        Appointment.objects.filter(
            filed_current_on(day, post=None), enterprise_id__in=enterprise_ids
        )
        .exclude(post=CQO_POST)
        .order_by("enterprise_id", "post__sort_order", "post__code", "appointed_on", "pk")
        .values("enterprise_id", "post__name", "post__name_en", "person__name", "position")
    )
    english = (translation.get_language() or "").startswith("en")
    for row in rows:
        post = row["post__name_en"] if english and row["post__name_en"] else row["post__name"]
        held.setdefault(row["enterprise_id"], []).append(
            {"post": post, "name": row["person__name"], "position": row["position"]}
        )
    return held


@ratelimit(group=throttles.PUBLIC_LOOKUP, key=throttles.ip_key, rate=throttles.public_lookup_rate)
def lookup(request):
    """``CQO_PUBLIC_LOOKUP_RATE`` requests per IP address (60 a minute), then 429: the
    register cannot be harvested by a script."""
    today = timezone.localdate()
    form = LookupForm(request.GET if "q" in request.GET else None)
    context = {"form": form, "page": None, "truncated": False, "max_results": MAX_RESULTS}
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["q"]
        rows = list(lookup_rows(text, today)[: MAX_RESULTS + 1])
        context["truncated"] = len(rows) > MAX_RESULTS
        rows = rows[:MAX_RESULTS]
        for row in rows:
            row["deregistered"] = bool(row["deregistered_on"] and row["deregistered_on"] <= today)
        page = params.page(request, Paginator(rows, PER_PAGE))
        held = posts_held([row["pk"] for row in page.object_list], today)
        # Beside the rows, not in them: a row carries only what the CQO's answer shows.
        context["results"] = [(row, held.get(row["pk"], [])) for row in page.object_list]
        context.update(
            page=page, query=params.query_without(request, "page"), today=today, searched=True
        )
        if not rows:
            context["code_problem"] = search_code_problem(text, check_uscc)
    return render(request, "public/lookup.html", context)
