"""Small pieces that the registry's pages write alike: the change history a detail page shows
to those allowed to read it, the status a form page answers with, and detail-page URLs for a
page of rows."""

from django.urls import reverse


def change_history(user, obj, limit: int = 20):
    """The last ``limit`` change-history records of ``obj`` (its ``history`` manager, with the
    users who made them), or None for a user without ``enterprises.view_change_history``: who
    changed what is shown to those who may read it only (SPEC §1). Lazy: no query is run
    until the page reads it."""
    if not user.has_perm("enterprises.view_change_history"):
        return None
    return obj.history.select_related("history_user")[:limit]


def form_status(form) -> int:
    """400 for a bound form that has errors (so that tests and scripts see the refusal), else
    200."""
    return 400 if form.is_bound and form.errors else 200


def pk_url(name: str):
    """``pk → reverse(name, args=[pk])`` for a URL named ``name`` whose one argument is an
    ``<int:pk>``, reversing once: a page of 50 persons with their enterprises reversed a
    hundred URLs, a fifth of the page's time (issue 11)."""
    marker = "2147483647"
    head, _, tail = reverse(name, args=[int(marker)]).rpartition(marker)
    return lambda pk: f"{head}{pk}{tail}"
