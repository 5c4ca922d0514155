"""A select box written in Python, the same HTML as Django's templates write it (issue 15 §1).

Django renders a ``<select>`` through three templates — the box, one include per option and
one more include per option for its attributes. A list page's filter form with a town, a post
and a few yes/no selects rendered ~150 includes a request: a quarter of the enterprise
registry's time, more than its 50 rows. :class:`Select` writes the same markup directly;
:func:`quicken` puts it in a form's plain selects."""

from django import forms
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

# What {{ value }} does in a template with the default context: localize, str, escape.
_CONTEXT = Context(autoescape=True)


def _text(value) -> str:
    return render_value_in_context(value, _CONTEXT)


def _format_s(value) -> str:
    """``{{ value|stringformat:'s' }}``: "%s" of the value (a tuple as its str), kept safe
    when it was, escaped otherwise."""
    if isinstance(value, tuple):
        value = str(value)
    text = str(value)  # "%s" % value, the tuple case aside
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `` name="value"`` each, `` name`` for True, nothing
    for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{_format_s(value)}"')
    return "".join(parts)


class Select(forms.Select):
    """``forms.Select`` whose ``render`` writes the HTML of Django's ``select.html`` and
    ``select_option.html`` (Django 5.2) without the template engine; a subclass with other
    templates is rendered by them. Named ``Select`` as Django's is: crispy-forms writes the
    widget's class name into the box's CSS classes."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        if (
            self.template_name != forms.Select.template_name
            or self.option_template_name != forms.Select.option_template_name
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{_format_s(option["value"])}"'
                    f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")  # the form renderer strips the last newline
        return mark_safe("".join(parts))


def quicken(form: forms.BaseForm) -> forms.BaseForm:
    """``form`` with each of its plain ``forms.Select`` widgets (this form's own copies, not
    the class's) rendered by :class:`Select`; other widgets untouched. Returns ``form``."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget.__class__ = Select
    return form
