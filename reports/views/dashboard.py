"""Placeholder while this page is being built (statistics issue)."""

from django.http import Http404


def county_dashboard(request, *args, **kwargs):
    raise Http404


def town_dashboard(request, *args, **kwargs):
    raise Http404
