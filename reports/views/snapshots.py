"""Placeholder while this page is being built (statistics issue)."""

from django.http import Http404


def recompute(request, *args, **kwargs):
    raise Http404


def progress(request, *args, **kwargs):
    raise Http404
