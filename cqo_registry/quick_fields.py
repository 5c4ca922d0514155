"""A form field as crispy-forms renders it, rendered once per process for the same inputs
(issue 15 §1; SPEC §7 "100k enterprises must stay fast").

``{{ form.field|as_crispy_field }}`` renders ``bootstrap5/field.html`` and its includes for
every field on every request: a list page's filter form of six fields spent 3–5 ms of CPU a
request there, a third of a page such as the review queue or the evaluations list. Yet a
filter field's HTML is the same for every request that asks the same value with the same
choices. :func:`crispy_field` keeps the HTML of a field keyed by *everything* the rendering
reads — the field's and widget's classes and settings (label, help text, required, the
widget's attributes, its choices), the bound value, the errors and the language — so a cached
entry cannot be out of date: a town renamed or another user's scope changes the choices and
thus the key. Nothing needs invalidating; the memo is bounded (least recently used out).

:class:`CrispyFields` gives a template the fields of a form by name, rendered on first use
(a field the template does not show costs nothing, not even its choices' query).
:func:`form_fragment` keeps, the same way, a template that shows a whole form's fields."""

import copy
import threading
from collections import OrderedDict

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.forms.models import ModelChoiceIterator
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# Entries kept (per process). A filter field's HTML is 0.2–3 KB; the search box's free text
# makes most distinct keys, hence a bound.
MAX_ENTRIES = 512

_memo: OrderedDict = OrderedDict()
_lock = threading.Lock()


# Exact types kept as they are in a key: a filter's widget holds mostly these, and they
# skip the checks below (a key of a town filter froze a few hundred values, issue 15 §1).
_PLAIN = frozenset({str, int, bool, type(None)})


def _frozen(value):
    """``value`` as a hashable key part: dicts and sequences as tuples, lazy translations by
    their message (:func:`_lazy_key`), anything unhashable by its ``repr``."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Promise):
        return _lazy_key(value)
    # Lists, not generators: a generator is resumed (a call) for each item.
    if isinstance(value, dict):
        return tuple(sorted([(str(key), _frozen(item)) for key, item in value.items()]))
    if isinstance(value, list | tuple):
        return tuple([item if type(item) in _PLAIN else _frozen(item) for item in value])
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


# Lazy translations keyed by their message rather than their text: with the language (in
# every key) the message fixes the text, and translating the labels of a page's filter
# choices was ~1,000 calls a request (issue 15 §1).
_TRANSLATIONS = frozenset(
    {translation.gettext, translation.pgettext, translation.ngettext, translation.npgettext}
)


def _lazy_key(value: Promise):
    """A lazy translation's ``(function, arguments)`` when its arguments are plain values; any
    other lazy value (``reverse_lazy``, a formatted text…) by the text it is now."""
    _unpickle, (function, args, kwargs, *_types) = value.__reduce__()
    plain = not kwargs and all(type(arg) in _PLAIN for arg in args)
    if function in _TRANSLATIONS and plain:
        return (Promise, function.__name__, *args)  # Promise: no widget value looks so
    return str(value)


def _key(bound_field: forms.BoundField) -> tuple:
    """Everything ``as_crispy_field(bound_field)`` reads: the language, the field's class and
    settings, the widget's class and every attribute (``attrs``, ``choices``, ``input_type``,
    formats …), the names and ids, the bound value and the errors — and what the form adds:
    the CSS classes it gives the field (``required_css_class``, ``error_css_class``) and
    whether it prints ``required`` attributes. Not the form's class: django-filter makes a
    new one for every filter set, which would make every key new."""
    field = bound_field.field
    widget = field.widget
    return (
        get_language(),
        bound_field.css_classes(),
        bound_field.form.use_required_attribute,
        type(field),
        type(widget),
        bound_field.html_name,
        bound_field.auto_id,
        bound_field.form.is_bound,
        _frozen(field.label),
        _frozen(field.help_text),
        field.required,
        field.disabled,
        field.localize,
        field.show_hidden_initial,
        _frozen(vars(widget)),
        _frozen(bound_field.value()),
        _frozen([str(error) for error in bound_field.errors]),
    )


class _Rows:
    """A queryset's rows, read, standing in for the queryset where ``ModelChoiceIterator``
    iterates it: it asks ``iterator()``, which on PostgreSQL is a server-side cursor (DECLARE,
    FETCH, CLOSE: three round trips) for the dozen towns of a filter."""

    _prefetch_related_lookups = ()

    def __init__(self, rows: list):
        self.rows = rows

    def iterator(self):
        return iter(self.rows)


def _read_choices(choices) -> list:
    """``choices`` (an iterable of ``(value, label)``) as a list, the rows of a model choice
    field read in one plain query. A comprehension, not ``list()``: ``list()`` asks the
    iterator's ``len()``, a COUNT query."""
    if isinstance(choices, ModelChoiceIterator):
        choices = copy.copy(choices)
        choices.queryset = _Rows(list(choices.queryset))
    return [choice for choice in choices]  # noqa: C416


def crispy_field(bound_field: forms.BoundField) -> SafeString:
    """``as_crispy_field(bound_field)`` (the bootstrap5 pack, no form helper): the same HTML
    (a ``SafeString``), from the memo when a field with the same key was rendered before in
    this process (issue 15 §1, SPEC §7).

    A widget's choices given by an iterator (a ``ModelChoiceField``'s: one query, as rendering
    reads them) are read once and kept on the widget as a list. Raises what crispy-forms
    raises; a form with a ``helper`` is rendered without the memo (the helper's attributes are
    not in the key)."""
    field = bound_field.field
    if getattr(bound_field.form, "helper", None) is not None:
        return as_crispy_field(bound_field)
    _list_choices(field.widget)
    return _remembered(_key(bound_field), lambda: as_crispy_field(bound_field))


def _list_choices(widget) -> None:
    if hasattr(widget, "choices") and not isinstance(widget.choices, list | tuple):
        # Choices read by an iterator (a ``ModelChoiceField``'s query, a callable, django-filter's
        # wrappers) are read once, as rendering reads them, and kept on the widget, so that the
        # key and a rendering share them. A comprehension, not list(): list() asks the
        # iterator's len(), a COUNT query.
        widget.choices = _read_choices(widget.choices)


def _remembered(key: tuple, render) -> SafeString:
    """The memo's entry for ``key``, made by ``render()`` when there is none."""
    with _lock:
        html = _memo.get(key)
        if html is not None:
            _memo.move_to_end(key)
            return html
    html = render()
    with _lock:
        _memo[key] = html
        while len(_memo) > MAX_ENTRIES:
            _memo.popitem(last=False)
    return html


def form_fragment(template_name: str, form: forms.BaseForm) -> SafeString:
    """``render_to_string(template_name, {"form": form})`` (a ``SafeString``) for a template
    that shows only ``form``'s fields — their HTML, labels, ids, names and errors — and
    translated text: from the memo when a form whose every field has the same key
    (:func:`_key`: the language, the field's settings, its widget and choices, the bound
    value, the errors) and the same non-field errors was rendered with that template before
    in this process (issue 15 §1: a list's filter form of eleven fields, ~150 template
    nodes, each request). A template that reads anything else (the request, the user, a
    setting) must not be rendered through this. Raises what rendering raises; a form with a
    ``helper`` is rendered without the memo (the helper is not in the key)."""
    if getattr(form, "helper", None) is not None:
        return render_to_string(template_name, {"form": form})
    fields = []
    for bound_field in form:
        _list_choices(bound_field.field.widget)
        fields.append(_key(bound_field))
    errors = tuple(str(error) for error in form.non_field_errors())
    key = ("form", template_name, get_language(), tuple(fields), errors)
    return _remembered(key, lambda: render_to_string(template_name, {"form": form}))


def forget() -> None:
    """Empty the memo (tests)."""
    with _lock:
        _memo.clear()


class CrispyFields:
    """``form``'s fields for a template, ``{{ fields.town }}`` being
    ``{{ form.town|as_crispy_field }}`` through :func:`crispy_field`, rendered when the template
    asks for it. An unknown name raises ``KeyError`` (the template shows nothing); an error
    while rendering is raised as ``RuntimeError`` — as the filter's error would be — since the
    template would take a ``TypeError`` or ``ValueError`` from a lookup for "no such key" and
    silently show nothing."""

    def __init__(self, form: forms.BaseForm):
        self.form = form

    def __getitem__(self, name: str) -> SafeString:
        if name not in self.form.fields:
            raise KeyError(name)
        try:
            return crispy_field(self.form[name])
        except (TypeError, ValueError, AttributeError, IndexError, KeyError) as error:
            raise RuntimeError(f"rendering the field {name!r} failed") from error
