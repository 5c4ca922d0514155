"""The header's menus are kept per role, permissions and language (issue 15 §1,
``cqo_registry/accounts/templatetags/navigation.py``): each user still gets exactly the menu
of their own role, whoever was served before them, and the kept menu is the one a fresh
render gives."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.html import escape

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


# --- The whole header, kept per role, user, unread count and bureau ---------------------------


def _header(html: str) -> str:
    return html[
        html.index('<div class="bg-light border-bottom small" id="site-bureau">') : html.index(
            "</nav>"
        )
    ]


def test_each_user_gets_their_own_name_and_unread_count(users, client_for, reviewer):
    from tests.factories import NotificationFactory, UserFactory

    other = UserFactory(username="other_checker", role=reviewer.role)
    first, second = client_for(reviewer), client_for(other)
    for _round in (1, 2):  # the second round is served from the kept headers
        mine = _header(first.get("/help/").content.decode())
        theirs = _header(second.get("/help/").content.decode())
        assert f">{reviewer.get_username()}</button>" in mine
        assert ">other_checker</button>" in theirs
        assert f">{reviewer.get_username()}</button>" not in theirs
    assert "badge text-bg-warning" not in theirs
    NotificationFactory(user=other)
    theirs = _header(second.get("/help/").content.decode())
    assert '<span class="badge text-bg-warning">1</span>' in theirs
    assert "badge text-bg-warning" not in _header(first.get("/help/").content.decode())


def test_the_header_carries_the_requests_own_csrf_field_and_path(reviewer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    client.get("/help/")  # kept now
    response = client.get("/help/", {"q": '<b>"x"</b>'})
    header = _header(response.content.decode())
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', header)
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    path = escape(response.wsgi_request.get_full_path())
    assert "<b>" not in path and f'name="next" type="hidden" value="{path}"' in header
    # The field is this session's: the language switcher's POST passes the CSRF check.
    response = client.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302
    other = Client()
    other.force_login(reviewer)
    others = re.findall(
        r'csrfmiddlewaretoken" value="([^"]+)"', other.get("/help/").content.decode()
    )
    assert others and others[0] != tokens[0]


def test_a_bureau_renamed_shows_on_the_next_page(
    client_for, reviewer, django_capture_on_commit_callbacks
):
    from cqo_registry.bureau.profile import bureau_profile_save

    client = client_for(reviewer)
    client.get("/help/")
    with django_capture_on_commit_callbacks(execute=True):
        bureau_profile_save(name="新的监管局", county="新县", phone="0550-1234567")
    header = _header(client.get("/help/").content.decode())
    assert "新的监管局" in header and "0550-1234567" in header


def test_the_kept_header_is_what_a_fresh_render_gives(users, client_for):
    for name in ("reviewer", "enterprise_user"):
        client = client_for(users[name])
        navigation._forget_headers()
        fresh = _menus(client.get("/help/").content.decode())
        kept = _menus(client.get("/help/").content.decode())
        with override_settings(DEBUG=True):  # nothing kept: rendered again
            rendered = _menus(client.get("/help/").content.decode())
        assert fresh == kept == rendered, name


def test_the_kept_header_reads_only_what_its_key_holds():
    # A breaker's guard, as for the menus: the header is kept by language, role, menu
    # permissions, user name, unread count and bureau; any other value it read would be one
    # request's kept for another. The request's CSRF field and path come in by their marks.
    source = (Path(settings.BASE_DIR) / "templates" / "_site_header.html").read_text()
    variables = set(re.findall(r"\{\{\s*([\w.]+)", source))
    variables |= {m for m in re.findall(r"\{%\s*if\s+([\w.]+)", source)}
    assert variables <= {
        "bureau.full_name",
        "bureau.phone",
        "user.is_authenticated",
        "user.get_username",
        "unread_notifications",
        "language.code",
        "language.name_local",
        "csrf_input",
        "next_path",
    }
    assert "request" not in re.sub(r"\{%\s*comment.*?endcomment\s*%\}", "", source, flags=re.S)
    assert "csrf_token" not in source
