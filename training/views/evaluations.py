"""Placeholder while this page is being built (oversight issue)."""

from django.http import Http404


def list(request, *args, **kwargs):
    raise Http404
