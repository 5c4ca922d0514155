"""The configuration promises of the SPEC (§7) and the security baseline, checked in one place."""

import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from cqo_registry.celery_app import app

BASE_DIR = Path(settings.BASE_DIR)


def test_chinese_first_with_english_available():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert {code for code, _name in settings.LANGUAGES} >= {"zh-hans", "en"}
    assert settings.USE_I18N


def test_one_time_zone_for_django_and_celery():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    # The app really reads it (schedules are interpreted in this zone).
    assert str(app.conf.timezone) == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_session_ends_after_30_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # The 30 minutes count from the last request: a request writes the session when its
    # stored expiry lags by more than a minute (cqo_registry/sessions.py), not only at login.
    assert settings.SESSION_ENGINE == "cqo_registry.sessions"
    assert "cqo_registry.sessions.SessionMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_REFRESH_SECONDS == 60


def test_lockout_after_5_failures_for_30_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)


def _inside(path, folder) -> bool:
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def _assert_private_apart_from_static(media_root, static_roots):
    for static_root in static_roots:
        assert not _inside(media_root, static_root), f"{media_root} is inside {static_root}"
        assert not _inside(static_root, media_root), f"{static_root} is inside {media_root}"


def test_private_uploads_are_not_under_static_files():
    _assert_private_apart_from_static(
        settings.MEDIA_ROOT, [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    )
    assert not settings.MEDIA_URL.startswith(settings.STATIC_URL)


def test_documented_production_paths_keep_uploads_apart_from_static():
    documented = _env_example_values()
    _assert_private_apart_from_static(
        documented["PRIVATE_MEDIA_ROOT"],
        [documented["STATIC_ROOT"], *settings.STATICFILES_DIRS],
    )


# --- .env.example documents every variable the settings read ---------------------------------

ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _env_example_values() -> dict[str, str]:
    values = {}
    for line in (BASE_DIR / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_env_example_documents_every_variable_the_settings_read():
    read = set()
    for module in (BASE_DIR / "cqo_registry" / "settings").glob("*.py"):
        read |= set(ENV_READ.findall(module.read_text(encoding="utf-8")))
    example = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    # Documented as an active line or as a commented-out example ("# NAME=").
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert read, "the pattern no longer finds env(...) calls in the settings"
    assert sorted(read - documented) == []


# --- No CDN: every asset comes from our own server ------------------------------------------

REMOTE_ASSET = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"""
    r"""\b(?:src|href|srcset|data)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _template_files():
    folders = [BASE_DIR / "templates"]
    folders += [
        path
        for path in BASE_DIR.glob("*/templates")
        if path.is_dir() and not path.parts[-2].startswith(".")
    ]
    for folder in folders:
        yield from (path for path in folder.rglob("*") if path.is_file())


def _stylesheets():
    # Vendored stylesheets included: their only URLs (SVG namespaces inside data: URIs)
    # are not fetched and the pattern does not match them.
    yield from (BASE_DIR / "static").rglob("*.css")


@pytest.mark.parametrize(
    ("snippet", "remote"),
    [
        ('<script src="https://cdn.jsdelivr.net/npm/echarts.js"></script>', True),
        ("<link rel=stylesheet href=//cdn.example.com/x.css>", True),
        ("background: url('http://example.com/bg.png')", True),
        ('@import "https://fonts.googleapis.com/css";', True),
        ("<script src=\"{% static 'vendor/echarts/echarts.min.js' %}\"></script>", False),
        ('<a href="https://www.samr.gov.cn/">国家市场监督管理总局</a>', False),
        ("url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'%3e\")", False),
    ],
)
def test_remote_asset_pattern(snippet, remote):
    assert bool(REMOTE_ASSET.search(snippet)) is remote


def test_templates_and_stylesheets_load_no_remote_assets():
    offenders = []
    for path in [*_template_files(), *_stylesheets()]:
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in REMOTE_ASSET.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(BASE_DIR)}:{line}: {match.group(0)[:80]}")

    assert offenders == []


# --- The README explains every dependency ----------------------------------------------------


def test_readme_says_what_each_dependency_is_for():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [
        *project["dependencies"],
        *(req for extra in project.get("optional-dependencies", {}).values() for req in extra),
    ]
    names = {re.match(r"[A-Za-z0-9._-]+", req).group(0).lower() for req in requirements}
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8").lower()
    section = readme.split("## what each dependency is for", 1)[-1]

    assert sorted(name for name in names if name not in section) == []
