"""Placeholder while this page is being built (filing issue)."""

from django.http import Http404


def queue(request, *args, **kwargs):
    raise Http404


def filing(request, *args, **kwargs):
    raise Http404
