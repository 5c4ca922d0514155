"""Excellent-CQO selection pages (/selection/, 优秀首席质量官评选).

* Campaigns: every signed-in role with a scope sees the campaigns (drafts only the bureau);
  a bureau admin creates and edits them and moves them through their phases (one view per
  step: GET confirms, POST acts).
* Nominations: an enterprise user nominates their own current CQO, a town officer a CQO of
  their town, while the campaign takes nominations. A CQO outside the user's reach is 404.
* Review: bureau roles see each nomination's eligibility with its reasons, shortlist, rule
  out, score and rank; a leader reads all of it.
"""

from functools import partial
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.pages import change_history, form_page, run_action

from .. import selection
from ..forms_selection import (
    CampaignForm,
    NominationForm,
    NominationReviewForm,
    PublicityForm,
    ReviewDecision,
)
from ..models import CampaignStatus, Nomination, NominationStatus

PER_PAGE = 50

bureau_admin_only = permission_required("training.manage_selection")
bureau_only = permission_required("training.review_nominations")
nominators = permission_required("training.nominate")
viewers = permission_required("training.view_selection")


def _campaign_url(pk: int) -> str:
    return reverse("selection:campaign_detail", args=[pk])


def _load_campaign(request, pk: int):
    return get_scoped_or_404(selection.campaign_list_for(request.user), pk=pk)


# --- Campaigns -------------------------------------------------------------------------------


@viewers
def campaign_list(request):
    campaigns = selection.campaign_list_for(request.user).annotate(
        nomination_count=Count("nominations"),
        honoured_count=Count(
            "nominations", filter=Q(nominations__status=NominationStatus.HONOURED)
        ),
    )
    return render(
        request,
        "selection/campaign_list.html",
        {
            "campaigns": campaigns,
            "may_manage": request.user.has_perm("training.manage_selection"),
            "may_nominate": request.user.has_perm("training.nominate"),
        },
    )


@bureau_admin_only
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    return _campaign_form(request, None)


@bureau_admin_only
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int):
    return _campaign_form(request, _load_campaign(request, pk))


def _campaign_created(campaign) -> str:
    return _("已创建评选“%(title)s”。") % {"title": campaign.title}


def _campaign_form(request, campaign):
    """The campaign settings page: a new campaign (``campaign`` None), or ``campaign``'s
    settings edited."""
    if campaign is None:
        save, success_message = selection.campaign_create, _campaign_created
    else:
        save = partial(selection.campaign_update, campaign=campaign)
        success_message = _("已保存评选设置。")
    return form_page(
        request,
        partial(CampaignForm, instance=campaign),
        "selection/campaign_form.html",
        {"campaign": campaign},
        on_valid=lambda form: save(actor=request.user, **form.cleaned_data),
        success_message=success_message,
        redirect_to=lambda saved: _campaign_url(saved.pk),
    )


@viewers
def campaign_detail(request, pk: int):
    user = request.user
    campaign = _load_campaign(request, pk)
    nominations = selection.nomination_list_for(user, campaign).order_by(
        "rank", "-score", "created_at", "pk"
    )
    sees_eligibility = user.has_perm("training.view_eligibility")
    if sees_eligibility:
        nominations = selection.with_eligibility(nominations)
    rows = [
        (nomination, selection.eligibility_of(nomination) if sees_eligibility else None)
        for nomination in nominations
    ]
    context = {
        "campaign": campaign,
        "rows": rows,
        "sees_eligibility": sees_eligibility,
        "may_manage": user.has_perm("training.manage_selection"),
        "may_review": user.has_perm("training.review_nominations"),
        "may_nominate": user.has_perm("training.nominate")
        and campaign.status == CampaignStatus.NOMINATING,
        "history": change_history(user, campaign),
        "Status": CampaignStatus,
    }
    return render(request, "selection/campaign_detail.html", context)


def _step_view(service, *, title: str, question: str, done: str, allowed=bureau_admin_only):
    """A campaign phase step as a view for users with ``allowed``: GET shows the confirmation,
    POST calls ``service(campaign=, actor=)`` and goes back to the campaign, with ``done`` or
    the refusal as the message. The texts are lazy: they are translated per request."""

    @allowed
    @require_http_methods(["GET", "POST"])
    def view(request, pk: int):
        campaign = _load_campaign(request, pk)
        if request.method == "POST":
            return run_action(
                request,
                lambda: service(campaign=campaign, actor=request.user),
                success_message=done,
                redirect_to=_campaign_url(pk),
            )
        return render(
            request,
            "selection/confirm.html",
            {"campaign": campaign, "title": title, "question": question},
        )

    return view


campaign_open = _step_view(
    selection.campaign_open_nominations,
    title=gettext_lazy("开始推荐"),
    question=gettext_lazy("开始接受企业和各镇的推荐？"),
    done=gettext_lazy("评选已开始接受推荐。"),
)
campaign_close = _step_view(
    selection.campaign_close_nominations,
    title=gettext_lazy("截止推荐，进入评审"),
    question=gettext_lazy("截止推荐并进入评审？截止后不再接受新的推荐。"),
    done=gettext_lazy("推荐已截止，评选进入评审。"),
)
campaign_rank = _step_view(
    selection.campaign_rank,
    title=gettext_lazy("按得分排名"),
    question=gettext_lazy("按评审得分从高到低为入围人选排名？"),
    done=gettext_lazy("已按得分排名。"),
    allowed=bureau_only,
)


@bureau_admin_only
@require_http_methods(["GET", "POST"])
def campaign_publicity(request, pk: int):
    """GET: the publicity dates; POST: put the top ranked candidates on public notice."""
    campaign = _load_campaign(request, pk)
    initial = {"starts_on": campaign.publicity_starts_on, "ends_on": campaign.publicity_ends_on}
    return form_page(
        request,
        partial(PublicityForm, initial=initial),
        "selection/publicity_form.html",
        {"campaign": campaign},
        # The form's fields (the publicity's dates) are the service's arguments.
        on_valid=lambda form: selection.campaign_start_publicity(
            campaign=campaign, actor=request.user, **form.cleaned_data
        ),
        success_message=_("公示已开始，拟当选名单已在光荣榜页面公示。"),
        redirect_to=_campaign_url(pk),
    )


campaign_publish = _step_view(
    selection.campaign_publish,
    title=gettext_lazy("发布光荣榜"),
    question=gettext_lazy("公示期已满，发布当选名单？发布后名单不可更改。"),
    done=gettext_lazy("光荣榜已发布。"),
)


# --- Nominating ------------------------------------------------------------------------------


@nominators
def candidates(request, pk: int):
    """The CQOs the user may nominate (a town officer's town may have many: search, pages)."""
    campaign = _load_campaign(request, pk)
    queryset = selection.nomination_candidates_for(request.user).order_by("enterprise__name", "pk")
    q = params.text(request, "q")
    if q:
        queryset = queryset.filter(Q(enterprise__name__icontains=q) | Q(person__name__icontains=q))
    page = params.page(request, Paginator(queryset, PER_PAGE))
    nominated = set(
        campaign.nominations.filter(appointment__in=[a.pk for a in page.object_list]).values_list(
            "appointment_id", flat=True
        )
    )
    return render(
        request,
        "selection/candidates.html",
        {
            "campaign": campaign,
            "page": page,
            "q": q,
            "query": urlencode({"q": q}) if q else "",
            "nominated": nominated,
            "open": campaign.status == CampaignStatus.NOMINATING,
        },
    )


@nominators
@require_http_methods(["GET", "POST"])
def nominate(request, pk: int, appointment_pk: int):
    campaign = _load_campaign(request, pk)
    appointment = get_object_or_404(
        selection.nomination_candidates_for(request.user), pk=appointment_pk
    )
    return form_page(
        request,
        NominationForm,
        "selection/nominate.html",
        {
            "campaign": campaign,
            "appointment": appointment,
            "open": campaign.status == CampaignStatus.NOMINATING,
        },
        on_valid=lambda form: selection.nomination_create(
            campaign=campaign,
            appointment=appointment,
            statement=form.cleaned_data["statement"],
            actor=request.user,
        ),
        success_message=_("已推荐 %(name)s 参加%(campaign)s。")
        % {"name": appointment.person.name, "campaign": campaign.title},
        redirect_to=_campaign_url(pk),
    )


# --- Review ----------------------------------------------------------------------------------


def _load_nomination(request, pk: int):
    user = request.user
    queryset = access.scope(
        Nomination.objects.select_related(
            "campaign", "appointment__person", "appointment__enterprise__town", "nominated_by"
        ),
        user,
        town_field="appointment__enterprise__town",
        enterprise_field="appointment__enterprise",
    )
    if not user.has_perm("training.review_nominations"):
        queryset = queryset.exclude(campaign__status=CampaignStatus.DRAFT)
    return get_scoped_or_404(queryset, pk=pk)


def _nomination_context(request, nomination, form=None) -> dict:
    user = request.user
    reviewing = nomination.campaign.status in (CampaignStatus.REVIEWING, CampaignStatus.PUBLICITY)
    may_review = user.has_perm("training.review_nominations") and reviewing
    return {
        "nomination": nomination,
        "campaign": nomination.campaign,
        "eligibility": selection.eligibility_of(nomination)
        if user.has_perm("training.view_eligibility")
        else None,
        "may_review": may_review,
        "form": form or (NominationReviewForm() if may_review else None),
        "history": change_history(user, nomination),
    }


@viewers
def nomination_detail(request, pk: int):
    nomination = _load_nomination(request, pk)
    return render(
        request, "selection/nomination_detail.html", _nomination_context(request, nomination)
    )


def _review(nomination, data: dict, *, actor) -> None:
    """The reviewer's decision on ``nomination`` (``NominationReviewForm``'s cleaned data)."""
    decision = data["decision"]
    if decision == ReviewDecision.INELIGIBLE:
        selection.nomination_mark_ineligible(
            nomination=nomination, notes=data["notes"], actor=actor
        )
    elif decision == ReviewDecision.SHORTLIST:
        selection.nomination_shortlist(nomination=nomination, notes=data["notes"], actor=actor)
        if data.get("score") is not None:
            selection.nomination_score(nomination=nomination, score=data["score"], actor=actor)
    else:
        selection.nomination_score(nomination=nomination, score=data["score"], actor=actor)


@bureau_only
@require_POST
def nomination_review(request, pk: int):
    nomination = _load_nomination(request, pk)
    return form_page(
        request,
        NominationReviewForm,
        "selection/nomination_detail.html",
        lambda form: _nomination_context(request, nomination, form),
        on_valid=lambda form: _review(nomination, form.cleaned_data, actor=request.user),
        success_message=_("已保存审查结果。"),
        redirect_to=_campaign_url(nomination.campaign_id),
    )
