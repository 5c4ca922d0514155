"""Placeholder while this page is being built (filing issue)."""

from django.http import Http404


def vacancies(request, *args, **kwargs):
    raise Http404
