"""Small pieces that the registry's pages write alike: the change history a detail page shows
to those allowed to read it, the status a form page answers with, and detail-page URLs for a
page of rows."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from .audit.services import audit_file_download
from .responses import private_file_response
from .workflows import error_text


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


def add_validation_error(form, error) -> None:
    """Put a service's ``django.core.exceptions.ValidationError`` on ``form``: a message dict's
    messages on the fields of the same name, those naming no field of the form (and a plain
    message or list) as non-field errors, so that the page shows every refusal next to what
    it concerns and no refusal is lost (CONVENTIONS "Workflows are service functions")."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def run_form_action(request, form, action, *, success_message, redirect_to):
    """Run a form page's workflow step: ``action()`` (no arguments; it calls the service with
    the form's cleaned data, in whatever transaction the view opens around this call).

    On ``ValidationError``: the error is put on ``form`` (:func:`add_validation_error`) and
    None is returned, so that the view renders the form again, with status 400 by
    :func:`form_status`. On success: ``success_message`` is flashed and a redirect to
    ``redirect_to`` returned. Either may be a callable taking what ``action()`` returned
    (e.g. the created row); ``redirect_to`` is anything ``django.shortcuts.redirect`` takes
    (a URL, or a model with ``get_absolute_url``)."""
    try:
        result = action()
    except ValidationError as error:
        add_validation_error(form, error)
        return None
    messages.success(
        request, success_message(result) if callable(success_message) else success_message
    )
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)


def form_page(
    request,
    form,
    template: str,
    context=None,
    *,
    on_valid,
    success_message,
    redirect_to,
    form_name: str = "form",
    error_status: int = 400,
):
    """The whole of a form page: one view for GET (show the form) and POST (act on it).

    ``form`` makes the form: it is called as ``form(data, files)`` — ``request.POST`` and
    ``request.FILES`` on POST, ``None, None`` otherwise — so a form class, a
    ``functools.partial`` of one with its keyword arguments, or a lambda will do. On a valid
    POST ``on_valid(form)`` runs the workflow step (a service call with the cleaned data, in
    whatever transaction the view opens around this call) through :func:`run_form_action`:
    a ``ValidationError`` it raises is put on the form — at the fields it names, else above
    the form — and the page is shown again; on success ``success_message`` is flashed and
    the response redirects to ``redirect_to`` (either may be a callable taking what
    ``on_valid`` returned).

    Otherwise ``template`` is rendered with ``context`` (a dict, or a callable taking the
    form and returning one, so that a page's extra reads run only when it is shown) and the
    form under ``form_name``, with status ``error_status`` when the bound form has errors
    (400 by default, as :func:`form_status`; a few older pages answer 200 and keep doing so),
    else 200. Returns an ``HttpResponse``; raises nothing of its own
    (the view has loaded the object through the access helper and raised 404/403 already).
    CONVENTIONS "Views are thin" and "Workflows are service functions" (the refusal is shown
    next to what it concerns); the caller enforces SPEC §1 scoping before calling."""
    bound = request.method == "POST"
    form = form(request.POST, request.FILES) if bound else form(None, None)
    if bound and form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: on_valid(form),
            success_message=success_message,
            redirect_to=redirect_to,
        )
        if done:
            return done
    page = dict(context(form) if callable(context) else context or {})
    page[form_name] = form
    status = error_status if form.is_bound and form.errors else 200
    return render(request, template, page, status=status)


def run_action(request, action, *, success_message, redirect_to):
    """Run a confirmation page's workflow step (POST, no form): ``action()``, then a redirect
    to ``redirect_to`` either way — ``success_message`` flashed on success, the refusal's
    text (``workflows.error_text``) flashed as an error on ``ValidationError``.
    ``success_message`` may be a callable taking what ``action()`` returned."""
    try:
        result = action()
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        if callable(success_message):
            success_message = success_message(result)
        messages.success(request, success_message)
    return redirect(redirect_to)


def audited_file_response(request, field_file, *, filename: str, obj, inline: bool = False):
    """A stored private file (a ``FieldFile`` of ``obj``) served by
    ``responses.private_file_response`` under ``filename`` (``inline``: shown in the browser
    when it is a PDF or an image), its download recorded in the audit trail against ``obj``
    (SPEC §1: who opened which personal file). Raises ``Http404`` when ``obj`` has no file or
    its content is missing from storage. The view has checked that the user may open it."""
    if not field_file:
        raise Http404
    try:
        response = private_file_response(field_file, filename=filename, inline=inline)
    except FileNotFoundError:
        raise Http404 from None
    audit_file_download(request, field_file, obj=obj)
    return response
