"""The bureau's particulars as every page, receipt, report and e-mail prints them
(issue 12, "Receipts are signed 县市场监督管理局"): the saved profile, else the environment's
first defaults (``CQO_BUREAU_NAME``, ``CQO_BUREAU_COUNTY``, ``CQO_BUREAU_PHONE``).

Read on every page (the header), so it is kept in the cache and replaced when saved: a page
costs no query for it."""

import base64
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from cqo_registry.uploads import HEAD_BYTES, check_upload, sniff

from .models import BureauProfile

CACHE_KEY = "bureau-profile-v2"  # v2: with the login notice
NO_ROW = "none"  # cached when no profile was saved: the environment's values apply
SEAL_TYPES = {"image/png": "png", "image/jpeg": "jpg"}
MAX_SEAL_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Bureau:
    name: str
    county: str
    phone: str
    seal_data_uri: str  # "" when there is no seal image
    login_notice: str = ""  # "" : the login page shows its default notice

    @property
    def full_name(self) -> str:
        """The name with the county before it unless the name already says it
        (``长丰县`` + ``市场监督管理局``)."""
        if self.county and not self.name.startswith(self.county):
            return f"{self.county}{self.name}"
        return self.name


def defaults() -> Bureau:
    return Bureau(
        name=getattr(settings, "CQO_BUREAU_NAME", "") or "县市场监督管理局",
        county=getattr(settings, "CQO_BUREAU_COUNTY", ""),
        phone=getattr(settings, "CQO_BUREAU_PHONE", ""),
        seal_data_uri="",
    )


def _from_row(row: BureauProfile) -> Bureau:
    seal = ""
    if row.seal:
        try:
            with row.seal.open("rb") as handle:
                content = handle.read()
            kind = sniff(content[:HEAD_BYTES], SEAL_TYPES)
            if kind is not None:
                seal = f"data:{kind.mime};base64,{base64.b64encode(content).decode()}"
        except Exception:  # a missing or unreadable file prints no seal, never fails a page
            seal = ""
    return Bureau(
        name=row.name,
        county=row.county,
        phone=row.phone,
        seal_data_uri=seal,
        login_notice=row.login_notice,
    )


def current() -> Bureau:
    """The bureau as printed now (cached; the first read after a save or a cache flush reads
    the row)."""
    bureau = cache.get(CACHE_KEY)
    if bureau is None:
        row = BureauProfile.objects.filter(pk=1).first()
        bureau = _from_row(row) if row else NO_ROW
        cache.set(CACHE_KEY, bureau, None)
    return defaults() if bureau == NO_ROW else bureau


def assume_unsaved() -> None:
    """Cache "no profile saved" (the test suite's fresh database) without a query."""
    cache.set(CACHE_KEY, NO_ROW, None)


def forget() -> None:
    """Drop the cached profile (the next read goes to the database)."""
    cache.delete(CACHE_KEY)


def initial() -> dict:
    """The settings form's starting values: the saved row's, else the environment's."""
    row = BureauProfile.objects.filter(pk=1).first()
    if row:
        return {
            "name": row.name,
            "county": row.county,
            "phone": row.phone,
            "login_notice": row.login_notice,
        }
    fallback = defaults()
    return {"name": fallback.name, "county": fallback.county, "phone": fallback.phone}


@transaction.atomic
def bureau_profile_save(
    *,
    name: str,
    county: str,
    phone: str,
    login_notice: str = "",
    seal=None,
    remove_seal=False,
):
    """Save the profile (creating the one row on first save) and refresh the cache after the
    commit. ``login_notice``: the login page's notice to users ("" for the default one).
    ``seal``: an uploaded PNG/JPG (checked by content, ≤ 2 MB) or ``None`` to keep the
    current one; ``remove_seal`` drops it. Raises ``ValidationError``."""
    row = BureauProfile.objects.select_for_update().filter(pk=1).first() or BureauProfile(pk=1)
    row.name, row.county, row.phone = name.strip(), county.strip(), phone.strip()
    row.login_notice = login_notice.strip()
    if seal is not None:
        check_upload(seal, allowed=SEAL_TYPES, max_bytes=MAX_SEAL_BYTES)
        row.seal = seal
    elif remove_seal:
        row.seal = ""
    row.full_clean()
    row.save()
    transaction.on_commit(forget)
    return row


def context(request):
    """``bureau`` for every template (the header, the login page); ``pdf_problems``, what
    this machine lacks to print Chinese PDFs — looked up only by a page that asks."""
    from django.utils.functional import SimpleLazyObject

    from cqo_registry import pdf_support

    return {
        "bureau": current(),
        "pdf_problems": SimpleLazyObject(lambda: list(pdf_support.missing())),
    }
