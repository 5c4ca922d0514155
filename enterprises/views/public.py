"""Placeholder while this page is being built (filing issue)."""

from django.http import Http404


def lookup(request, *args, **kwargs):
    raise Http404
