"""Placeholder while this page is being built (oversight issue)."""

from django.http import Http404


def campaign_list(request, *args, **kwargs):
    raise Http404
