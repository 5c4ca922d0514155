"""Placeholder while this page is being built (oversight issue)."""

from django.http import Http404


def detail(request, *args, **kwargs):
    raise Http404
