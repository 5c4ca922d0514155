"""The public honour roll (/public/honours/, 光荣榜): anyone, no sign-in.

Shows the published honours of every year and, while a campaign is on public notice (公示),
its candidates marked 公示中. Only the year, the CQO's name, the enterprise and the position
are shown — never an ID number or a mobile (SPEC §1: the public sees published lists only).
"""

from itertools import groupby

from django.shortcuts import render

from .. import selection


def _by_campaign(nominations):
    return [
        (campaign, list(rows))
        for campaign, rows in groupby(nominations, key=lambda nomination: nomination.campaign)
    ]


def roll(request):
    honoured = selection.honour_roll().only(
        "rank",
        "campaign__year",
        "campaign__title",
        "campaign__published_on",
        "appointment__position",
        "appointment__person__name",
        "appointment__enterprise__name",
    )
    notice = selection.on_public_notice().only(
        "rank",
        "campaign__year",
        "campaign__title",
        "campaign__publicity_starts_on",
        "campaign__publicity_ends_on",
        "appointment__position",
        "appointment__person__name",
        "appointment__enterprise__name",
    )
    return render(
        request,
        "honours/roll.html",
        {"published": _by_campaign(honoured), "on_notice": _by_campaign(notice)},
    )
