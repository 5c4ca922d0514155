"""The page header and its menus, rendered once per role, permissions and language (issue 15 §1).

``{% site_header %}`` writes base.html's header — see :func:`site_header`; the menus in it
are these:

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
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
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


def _menu_key(role: str, perms: dict) -> tuple:
    """What a menu's HTML depends on besides its template: the language, the URLs' prefix and
    configuration, the role and the answers to ``NAV_PERMISSIONS``."""
    answers = tuple(
        sorted((app, code, v) for app, codes in perms.items() for code, v in codes.items())
    )
    return (
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        settings.ROOT_URLCONF,
        role,
        answers,
    )


@register.simple_tag(takes_context=True)
def nav_menu(context, template_name: str) -> str:
    """The menu ``template_name`` for the page's user (``user_role`` and ``user`` of the
    context), as HTML."""
    role = context.get("user_role", "") or ""
    perms = _permissions(context.get("user"))
    key = (template_name, *_menu_key(role, perms))
    html = _kept.get(key)
    if html is None:
        html = get_template(template_name).render({"user_role": role, "perms": perms})
        if not settings.DEBUG:
            if len(_kept) >= MAX_KEPT:
                _kept.clear()
            _kept[key] = html
    return mark_safe(html)  # noqa: S308 — our own template's output, escaped when rendered


# --- The page header ----------------------------------------------------------------------------

# Where the request's own values go in a kept header: private-use characters, which no text of
# the header (translations, names, the bureau's) holds.
_CSRF_MARK = "\ue000csrf\ue000"
_PATH_MARK = "\ue000path\ue000"
_headers: dict[tuple, str] = {}
MAX_HEADERS = 2048  # a few per user: their unread count changes


def _forget_headers(**kwargs) -> None:
    _headers.clear()


setting_changed.connect(_forget_headers)


@register.simple_tag(takes_context=True)
def site_header(context) -> str:
    """``_site_header.html`` — base.html's header: the bureau, the menus, the language
    switcher, the account menu and unread count — as HTML (issue 15 §1).

    What it shows depends on the language, the user's role, name and menu permissions, the
    unread count, the bureau's name and phone: the HTML for those is rendered once and kept
    per process (the menus inside it are :func:`nav_menu`'s), the same bytes as base.html
    wrote, with the two values that are the request's own put in each time — the CSRF field
    (Django's own ``{% csrf_token %}`` node) and the path the language switcher returns to.
    A permission or a name that changes makes another key; under ``DEBUG`` nothing is kept."""
    request = context.get("request")
    user = context.get("user")
    bureau = context.get("bureau")
    signed_in = bool(user is not None and getattr(user, "is_authenticated", False))
    role = context.get("user_role", "") or ""
    unread = context.get("unread_notifications")
    perms = _permissions(user)
    key = (
        *_menu_key(role, perms),
        signed_in,
        user.get_username() if signed_in else "",
        unread,
        getattr(bureau, "full_name", None),
        getattr(bureau, "phone", None),
    )
    html = _headers.get(key)
    if html is None:
        html = get_template("_site_header.html").render(
            {
                "bureau": bureau,
                "user": user,
                "user_role": role,
                "unread_notifications": unread,
                "csrf_input": mark_safe(_CSRF_MARK),  # noqa: S308 — a mark, replaced below
                "next_path": _PATH_MARK,
            }
        )
        if not settings.DEBUG:
            if len(_headers) >= MAX_HEADERS:
                _headers.clear()
            _headers[key] = html
    csrf = CsrfTokenNode().render(context)
    path = conditional_escape(request.get_full_path()) if request is not None else ""
    return mark_safe(html.replace(_CSRF_MARK, csrf).replace(_PATH_MARK, path))  # noqa: S308
