"""Placeholder while this page is being built (statistics issue)."""

from django.http import Http404


def eligibility(request, *args, **kwargs):
    raise Http404


def eligibility_json(request, *args, **kwargs):
    raise Http404
