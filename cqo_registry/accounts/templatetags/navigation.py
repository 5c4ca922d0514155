"""The header's menus, rendered once per role, permissions and language (issue 15 §1).

``{% nav_menu "_nav_menu.html" %}`` renders the named template with ``user_role`` and
``perms`` (the menus' permissions of ``NAV_PERMISSIONS``, each ``True``/``False``) and keeps
the HTML in this process: what a menu shows depends on nothing else, so every later page of
any user with the same role and the same answers gets the same bytes without rendering ~40
links (a ``reverse()`` and a translation each). The permissions are still asked of the rules
at every request — a change of role or of a rule shows on the next page — and the pages
themselves still check every permission on the server; the menus only link to them.

Under ``DEBUG`` nothing is kept, so an edited template shows at once."""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Every permission a menu template asks as ``perms.<app>.<codename>``.
NAV_PERMISSIONS = (
    "reminders.manage_rules",
    "audit.view_trail",
    "bureau.edit_profile",
    "api.manage_tokens",
    "accounts.manage_users",
    "accounts.manage_team",
)
MAX_KEPT = 512  # (template, language, role, permissions) combinations; a handful in practice

_kept: dict[tuple, str] = {}


def forget(**kwargs) -> None:
    """Drop every kept menu (a setting changed: a test's URLconf, languages…)."""
    _kept.clear()


setting_changed.connect(forget)


def _permissions(user) -> dict[str, dict[str, bool]]:
    """``{"app": {"codename": bool}}`` of ``NAV_PERMISSIONS`` for ``user`` (none for an
    anonymous user)."""
    answers: dict[str, dict[str, bool]] = {}
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    for name in NAV_PERMISSIONS:
        app, codename = name.split(".")
        answers.setdefault(app, {})[codename] = bool(signed_in and user.has_perm(name))
    return answers


@register.simple_tag(takes_context=True)
def nav_menu(context, template_name: str) -> str:
    """The menu ``template_name`` for the page's user (``user_role`` and ``user`` of the
    context), as HTML."""
    role = context.get("user_role", "") or ""
    perms = _permissions(context.get("user"))
    key = (
        template_name,
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        settings.ROOT_URLCONF,
        role,
        tuple(sorted((app, code, v) for app, codes in perms.items() for code, v in codes.items())),
    )
    html = _kept.get(key)
    if html is None:
        html = get_template(template_name).render({"user_role": role, "perms": perms})
        if not settings.DEBUG:
            if len(_kept) >= MAX_KEPT:
                _kept.clear()
            _kept[key] = html
    return mark_safe(html)  # noqa: S308 — our own template's output, escaped when rendered
