"""Placeholder while this page is being built (oversight issue)."""

from django.http import Http404


def roll(request, *args, **kwargs):
    raise Http404
