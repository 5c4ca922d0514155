"""Placeholder while this page is being built (statistics issue)."""

from django.http import Http404


def explain(request, *args, **kwargs):
    raise Http404


def explain_export(request, *args, **kwargs):
    raise Http404
