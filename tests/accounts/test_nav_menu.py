"""The header's menus are kept per role, permissions and language (issue 15 §1,
``cqo_registry/accounts/templatetags/navigation.py``): each user still gets exactly the menu
of their own role, whoever was served before them, and the kept menu is the one a fresh
render gives."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from cqo_registry.accounts.templatetags import navigation

pytestmark = pytest.mark.django_db

# A link only the first role's menu has, and one it must not have.
ONLY = {
    "bureau_admin": ("/audit/", "/portal/"),
    "reviewer": ("/review/", "/audit/"),
    "leader": ("/dashboard/assessment/", "/review/"),
    "town_officer": ("/training/untrained/", "/review/"),
    "enterprise_user": ("/portal/", "/review/"),
}


def _menus(html: str) -> str:
    """The navbar with the per-request parts (CSRF tokens, the page's own path) left out."""
    nav = html[html.index("<nav") : html.index("</nav>")]
    nav = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", nav)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "", nav)


def _hrefs(menus: str) -> set[str]:
    return set(re.findall(r'href="([^"#]+)"', menus))


def test_each_role_gets_its_own_menu_whoever_came_first(users, client_for):
    navigation.forget()
    pages = {}
    for _round in (1, 2):  # the second round is served from the kept menus
        for name in ONLY:
            response = client_for(users[name]).get("/help/")
            assert response.status_code == 200
            pages.setdefault(name, []).append(_menus(response.content.decode()))
    for name, (has, lacks) in ONLY.items():
        first, kept = pages[name]
        assert first == kept, name
        hrefs = _hrefs(first)
        assert any(h.startswith(has) for h in hrefs), (name, has)
        assert not any(h.startswith(lacks) for h in hrefs), (name, lacks)


def test_the_kept_menu_is_what_a_fresh_render_gives(users, client_for):
    client = client_for(users["reviewer"])
    navigation.forget()
    fresh = _menus(client.get("/help/").content.decode())
    kept = _menus(client.get("/help/").content.decode())
    with override_settings(DEBUG=True):  # nothing kept: rendered again
        rendered = _menus(client.get("/help/").content.decode())
    assert fresh == kept == rendered


def test_the_menu_follows_the_language(users, client_for):
    client = client_for(users["reviewer"])
    chinese = _menus(client.get("/help/").content.decode())
    english = _menus(client.get("/help/", headers={"accept-language": "en"}).content.decode())
    assert "备案审核" in chinese
    assert "备案审核" not in english


def test_an_anonymous_visitor_gets_the_public_menu(client):
    html = _menus(client.get("/help/").content.decode())
    assert "/public/" in html
    assert "/review/" not in html


@pytest.mark.parametrize("name", ["_nav_menu.html", "_account_menu.html"])
def test_the_kept_menus_read_only_what_their_key_holds(name):
    # A breaker's guard: the kept HTML is keyed by role, language and the answers to
    # NAV_PERMISSIONS only, and rendered without the request. A ``perms.<app>.<codename>``
    # outside NAV_PERMISSIONS would always be false there (a link silently lost), and a
    # ``user``/``request`` read would be one user's data kept for everyone of the role.
    source = (Path(settings.BASE_DIR) / "templates" / name).read_text()
    asked = set(re.findall(r"perms\.(\w+)\.(\w+)", source))
    assert asked <= {tuple(p.split(".")) for p in navigation.NAV_PERMISSIONS}
    assert not re.search(r"\b(user|request)\b(?![_\w])", re.sub(r"user_role", "", source))
