"""Placeholder while this page is being built (statistics issue)."""

from django.http import Http404


def assessment(request, *args, **kwargs):
    raise Http404


def assessment_xlsx(request, *args, **kwargs):
    raise Http404


def assessment_pdf(request, *args, **kwargs):
    raise Http404
