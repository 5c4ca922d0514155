"""The English catalogue (locale/en) and the language switch.

The UI is written in Chinese msgids; ``locale/en/LC_MESSAGES/django.po`` translates every one
of them, and the compiled ``django.mo`` is committed so that a machine without gettext tools
still shows English. These tests read the catalogue with a small parser of their own (the
project does not depend on polib) and drive the real language switch of ``base.html``.

Accept-Language: ``LocaleMiddleware`` honours the browser's language when the user has not
chosen one. That is kept on purpose: the default without any preference is Chinese
(``LANGUAGE_CODE``), Chinese browsers (zh-CN, zh) get Chinese, and staff of foreign-invested
enterprises whose browsers ask for English get the English that the spec makes available; an
explicit choice in the switch (the language cookie) always wins over the browser.
"""

import ast
import gettext
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.conftest import service_missing

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

LOGIN_URL = "/accounts/login/"
# Words of the login page (templates/accounts/login.html and base.html).
LOGIN_ZH = "登录"
LOGIN_EN = "Sign in"
BRAND_ZH = "首席质量官备案"  # the navbar brand of base.html
BRAND_EN = "CQO filing"


# --- a minimal .po reader ---------------------------------------------------------------


class Entry:
    def __init__(self):
        self.msgctxt = None
        self.msgid = ""
        self.msgid_plural = None
        self.msgstr = ""
        self.msgstr_plural: dict[int, str] = {}
        self.flags: set[str] = set()
        self.line = 0

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is not None:
            return [self.msgstr_plural[k] for k in sorted(self.msgstr_plural)]
        return [self.msgstr]

    def __repr__(self):
        return f"line {self.line}: {self.msgid!r}"


def _unquote(token: str) -> str:
    # A .po string is a C string literal; Python's literal syntax reads it the same way for
    # the escapes gettext writes (\\ \" \n \t).
    return ast.literal_eval(token)


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the (non-obsolete) entries of a .po file."""
    entries: list[Entry] = []
    entry = Entry()
    field = None

    def finish():
        nonlocal entry
        if field is not None:
            entries.append(entry)
        entry = Entry()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):  # obsolete entries are not part of the catalogue
            continue
        if line.startswith("#"):
            if field is not None and field.startswith("msgstr"):
                finish()
                field = None
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith('"'):
            value = _unquote(line)
        else:
            keyword, _space, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and field is not None and field.startswith("msgstr"):
                finish()  # an entry without comments follows the previous one directly
            field, value = keyword, _unquote(rest)
            if field == "msgid":
                entry.line = number
        if field == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif field == "msgid":
            entry.msgid += value
        elif field == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif field == "msgstr":
            entry.msgstr += value
        elif field and field.startswith("msgstr["):
            index = int(field[7:-1])
            entry.msgstr_plural[index] = entry.msgstr_plural.get(index, "") + value
        else:  # pragma: no cover - a malformed file
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()

    header, body = None, []
    for item in entries:
        if item.msgid == "" and item.msgctxt is None:
            header = item
        else:
            body.append(item)
    assert header is not None, "the catalogue has no header entry"
    fields = dict(line.split(": ", 1) for line in header.msgstr.splitlines() if ": " in line)
    fields["#flags"] = ",".join(sorted(header.flags))
    return fields, body


@pytest.fixture(scope="module")
def catalogue():
    return read_po(PO_FILE)


# Python %-placeholders (%(name)s, %(n)d, %(size).1f, %s) and the {name} fields that
# JavaScript fills in (templates/reports/_recompute.html). "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[sdifr]|\{\w+\}")


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


class _Anything(dict):
    def __missing__(self, key):
        return 1


# --- the catalogue ----------------------------------------------------------------------


def test_catalogue_is_for_english_with_english_plurals(catalogue):
    header, entries = catalogue
    assert header["Language"] == "en"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert "fuzzy" not in header["#flags"]
    # A few hundred strings at least: an empty or truncated catalogue is not "English".
    assert len(entries) > 900


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    _header, entries = catalogue
    fuzzy = [entry for entry in entries if "fuzzy" in entry.flags]
    untranslated = [entry for entry in entries if not all(entry.translations)]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:10]}"
    assert not untranslated, f"untranslated entries: {untranslated[:10]}"
    plural = [entry for entry in entries if entry.msgid_plural is not None]
    assert plural, "the catalogue should have the templates' {% plural %} strings"
    for entry in plural:
        assert sorted(entry.msgstr_plural) == [0, 1], entry


def test_translations_are_english_not_copies_of_the_chinese(catalogue):
    _header, entries = catalogue
    han = re.compile(r"[\u4e00-\u9fff]")
    # Chinese is allowed inside a translation only where it quotes the spreadsheet file
    # format of SPEC §4: header names and cell values like 是/否 that must be typed in Chinese.
    allowed = {
        "身份证号",
        "姓名",
        "培训名称",
        "培训日期",
        "学时",
        "是否合格",
        "是",
        "否",
        "规模以上",
        "中小企业",
        "微型企业",
        # The import forms' instructions quote more of what is typed in the cells.
        "合格",
        "不合格",
        "制造业",
        "2021年1月5日",
    }
    copied = [entry for entry in entries if entry.msgstr == entry.msgid]
    assert not copied, f"msgstr copied from msgid: {copied[:10]}"
    for entry in entries:
        for text in entry.translations:
            leftover = re.sub("|".join(sorted(allowed, key=len, reverse=True)), "", text)
            assert not han.search(leftover), f"Chinese left in the translation of {entry}"


def test_every_translation_keeps_the_placeholders_of_its_msgid(catalogue):
    _header, entries = catalogue
    for entry in entries:
        for index, text in enumerate(entry.translations):
            # English has two plural forms; the singular pairs with msgid, the plural with
            # msgid_plural (identical in Chinese, which has one form).
            source = entry.msgid_plural if index and entry.msgid_plural is not None else entry.msgid
            assert placeholders(text) == placeholders(source), (
                f"{entry}: {text!r} has {sorted(placeholders(text))}, "
                f"the msgid has {sorted(placeholders(source))}"
            )
            # Where the msgid can be %-formatted (every {% blocktranslate %} is, and every
            # python-format string), the translation must be too: no stray "%".
            try:
                source % _Anything()
            except (ValueError, TypeError, KeyError):
                continue
            try:
                text % _Anything()
            except (ValueError, TypeError, KeyError) as error:  # pragma: no cover
                pytest.fail(f"{entry}: the translation {text!r} cannot be formatted: {error}")


def test_msgfmt_accepts_the_catalogue(catalogue):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        service_missing("msgfmt (gettext)")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_committed_mo_is_compiled_from_the_po(catalogue):
    """The .mo is what Django reads; it must say what the .po says (run `make messages`)."""
    _header, entries = catalogue
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        context = f"{entry.msgctxt}\x04" if entry.msgctxt is not None else ""
        if entry.msgid_plural is None:
            if compiled._catalog.get(context + entry.msgid) != entry.msgstr:
                stale.append(entry)
        else:
            for index, text in entry.msgstr_plural.items():
                if compiled._catalog.get((context + entry.msgid, index)) != text:
                    stale.append(entry)
    assert not stale, f"django.mo is older than django.po; recompile. First: {stale[:5]}"


def test_domain_words_follow_the_glossary():
    with translation.override("en"):
        assert translation.gettext("首席质量官") == "Chief Quality Officer"
        assert translation.gettext("备案号") == "Filing number"
        assert translation.gettext("统一社会信用代码") == "Unified Social Credit Code"
        assert translation.gettext("县市场监管局") == "County Market Supervision Bureau"
        assert translation.gettext("优秀首席质量官评选") == "Excellent CQO selection"
        assert translation.gettext("基本合格") == "Basically qualified"
        assert translation.gettext("镇（街道）") == "Town (sub-district)"
        assert translation.ngettext("%(days)s 天", "%(days)s 天", 1) % {"days": 1} == "1 day"
        assert translation.ngettext("%(days)s 天", "%(days)s 天", 3) % {"days": 3} == "3 days"


def test_spreadsheet_format_stays_chinese_in_english():
    """SPEC §4: the exchanged files have Chinese headers and values in every UI language,
    while the same words as model labels are translated."""
    from cqo_registry.importing.resources import yes_no
    from enterprises import importers
    from enterprises.models import Enterprise, Scale

    with translation.override("en"):
        assert str(Enterprise._meta.get_field("scale").verbose_name) == "Enterprise scale"
        assert str(Scale.ABOVE.label) == "Above designated size"
        assert importers.SCALE == "企业规模"
        assert importers.scale_label(Scale.ABOVE) == "规模以上"
        assert importers.industry_label("C") == "C 制造业"
        assert yes_no(True) == "是"
        assert importers.industry_lookup()["制造业"] == "C"


# --- the language switch ----------------------------------------------------------------


def _content(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_default_without_cookie_or_browser_preference_is_chinese():
    response = Client().get(LOGIN_URL)
    html = _content(response)
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in html
    assert LOGIN_ZH in html and BRAND_ZH in html
    assert LOGIN_EN not in html and BRAND_EN not in html


@pytest.mark.django_db
def test_switching_to_english_through_set_language_shows_english():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})
    assert response.status_code == 302
    assert response.headers["Location"] == LOGIN_URL
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    response = client.get(LOGIN_URL)
    html = _content(response)
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert f'<h1 class="h3 mb-3">{LOGIN_EN}</h1>' in html
    assert BRAND_EN in html
    assert "Public lookup" in html  # base.html navigation
    assert LOGIN_ZH not in html
    assert BRAND_ZH not in html
    # The form field labels come from Django's own English catalogue.
    assert "Username" in html and "Password" in html

    # And back: the switch offers Chinese again and it takes effect.
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN_URL})
    html = _content(client.get(LOGIN_URL))
    assert LOGIN_ZH in html and LOGIN_EN not in html


@pytest.mark.django_db
def test_the_switch_is_on_every_page_and_offers_both_languages():
    html = _content(Client().get(LOGIN_URL))
    assert 'action="/i18n/setlang/"' in html
    assert '<option value="zh-hans" selected>' in html
    assert '<option value="en">' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "expected"),
    [("en", "en"), ("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9", "zh-hans"), ("fr", "zh-hans")],
)
def test_browser_language_is_honoured_when_nothing_was_chosen(accept, expected):
    response = Client().get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE=accept)
    html = _content(response)
    assert response.headers["Content-Language"] == expected
    assert (LOGIN_EN if expected == "en" else LOGIN_ZH) in html


@pytest.mark.django_db
def test_a_choice_in_the_switch_wins_over_the_browser_language():
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN_URL})
    html = _content(client.get(LOGIN_URL))
    assert LOGIN_ZH in html and LOGIN_EN not in html
