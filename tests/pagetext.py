"""What a page says to its reader, and what it must never say: shared by the test-client walk
(``tests/infra/test_page_text.py``) and the browser walk (``tests/browser/test_page_walk.py``).

A page's *text* is what a person reads: text nodes outside ``<script>``/``<style>``/
``<template>``, plus the attributes a browser shows or reads aloud (``title``, ``placeholder``,
``aria-label``, ``alt``, a button's ``value``). Three kinds of defect are looked for in it:

* template syntax — ``{#``, ``#}``, ``{%``, ``%}``, ``{{``, ``}}`` — a comment or a tag Django
  printed instead of running;
* untranslated interface text — in English, a text node that is, as a whole, a msgid of the
  English catalogue with a different English msgstr (data such as names stays Chinese; only
  the interface's own sentences are looked for, whole, so a name containing a word of the
  interface is not mistaken for one);
* raw internal codes — a text node that is exactly a stored choice value whose label differs
  (``edit``, ``submitted``, ``above``), or a token like ``LATE_ALL``.
"""

import re
from functools import cache
from html.parser import HTMLParser

from django.apps import apps
from django.utils import translation

TEMPLATE_SYNTAX = re.compile(r"\{#|#\}|\{%|%\}|\{\{|\}\}")
CODE_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Chinese punctuation between English words: a list joined with 、 or ； or a note in （）
# left Chinese in an English page ("Quality safety、Quality management").
CHINESE_PUNCTUATION_IN_ENGLISH = re.compile(r"[A-Za-z)]\s?[、；：，（）]\s?[A-Za-z(]")
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
HIDDEN_ELEMENTS = {"script", "style", "template", "noscript"}


VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[str, str | None]] = []
        self._hidden = 0
        self._langs: list[tuple[str, str]] = []  # (tag, lang) of open elements that set one

    @property
    def lang(self):
        return self._langs[-1][1] if self._langs else None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
        if tag not in VOID_ELEMENTS and attributes.get("lang") and tag != "html":
            self._langs.append((tag, attributes["lang"].lower()))
        lang = attributes.get("lang", "").lower() or self.lang
        for name, value in attrs:
            if value and name in SHOWN_ATTRIBUTES:
                self.texts.append((value, lang))
        if tag == "input" and attributes.get("type") in {"submit", "button"}:
            if attributes.get("value"):
                self.texts.append((attributes["value"], lang))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1
        if self._langs and self._langs[-1][0] == tag:
            self._langs.pop()

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append((" ".join(data.split()), self.lang))


def page_texts(html: str, *, with_lang: bool = False) -> list:
    """The texts a reader sees on ``html`` (one string per text node or shown attribute,
    whitespace collapsed); with ``with_lang``, ``(text, lang)`` pairs where ``lang`` is the
    language an enclosing element declares (``lang="zh-Hans"`` on data kept in Chinese, such
    as the column names of a Chinese spreadsheet), else ``None``."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.texts if with_lang else [text for text, _lang in parser.texts]


@cache
def interface_msgids() -> frozenset[str]:
    """Chinese msgids of the English catalogue whose English differs: the interface's text."""
    with translation.override("en"):
        catalog = translation.trans_real.translation("en")._catalog
        found = set()
        for key, value in catalog.items():
            if not isinstance(key, str) or "\x04" in key:
                continue
            if CJK.search(key) and value and value != key:
                found.add(" ".join(key.split()))
    return frozenset(found)


@cache
def internal_codes() -> frozenset[str]:
    """Stored choice values of every model field whose label is something else (``edit`` shown
    instead of 修改)."""
    codes = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{2,}", value):
                    if str(label).strip().lower() != value:
                        codes.add(value)
    return frozenset(codes)


def text_defects(html: str, *, english: bool, allowed_codes: frozenset[str] = frozenset()):
    """Defects found in ``html``'s text: a list of ``(kind, text)`` pairs, kind one of
    ``syntax``, ``untranslated``, ``punctuation`` (Chinese punctuation between English words,
    in English), ``code``. ``allowed_codes``: words that are data here
    (the usernames ``reviewer`` and ``leader`` are also role codes). Text inside an element
    declaring ``lang="zh…"`` is Chinese on purpose and not looked for untranslated text."""
    defects = []
    msgids = interface_msgids() if english else frozenset()
    codes = internal_codes() - allowed_codes
    for text, lang in page_texts(html, with_lang=True):
        if TEMPLATE_SYNTAX.search(text):
            defects.append(("syntax", text[:120]))
        if english and text in msgids and not (lang or "").startswith("zh"):
            defects.append(("untranslated", text))
        if english and CHINESE_PUNCTUATION_IN_ENGLISH.search(text):
            defects.append(("punctuation", text[:120]))
        if text in codes or CODE_TOKEN.search(text):
            defects.append(("code", text[:120]))
    return defects
