"""Filing receipts (备案回执) and their public verification (SPEC §6 "verifiable receipts").

An approved filing's receipt is an A4 PDF (WeasyPrint, Chinese set in Noto Sans CJK SC) with
a QR code to ``SITE_URL/verify/<verify_token>/``. The token is random and unguessable; the
verification page tells anyone whether the receipt is genuine and whether the appointment it
records is still current. The receipt is printed and handed around, so it carries the CQO's
ID number masked only.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.site import site_url

from .models import Appointment, Filing, FilingKind, FilingStatus

DEFAULT_BUREAU_NAME = "县市场监督管理局"
# What ``models.new_verify_token`` makes (URL-safe base64), within the field's length.
VERIFY_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def bureau_name() -> str:
    """The bureau's name with its county, as its settings page keeps it
    (``cqo_registry.bureau.profile``)."""
    from cqo_registry.bureau import profile

    return profile.current().full_name or DEFAULT_BUREAU_NAME


def _bureau():
    from cqo_registry.bureau import profile

    return profile.current()


def verify_url(filing: Filing) -> str:
    return site_url() + reverse("verify:verify", args=[filing.verify_token])


def qr_svg(data: str) -> str:
    """``data`` as a QR code in inline SVG (paths only, sized by the page's CSS)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    # Drop the fixed width/height so the CSS decides the printed size.
    head, rest = svg.split(">", 1)
    head = " ".join(part for part in head.split(" ") if not part.startswith(("width=", "height=")))
    return f'{head} class="qr" role="img" aria-label="{_("验证二维码")}">{rest}'


def receipt_title(filing: Filing) -> str:
    """The receipt's title: the CQO's as it always was; another post's names the post
    (issue 19), e.g. 食品安全员聘任备案回执."""
    if not filing.is_cqo:
        return {
            FilingKind.APPOINT: _("%(post)s聘任备案回执"),
            FilingKind.CHANGE: _("%(post)s变更备案回执"),
            FilingKind.DISMISS: _("%(post)s解聘备案回执"),
        }[filing.kind] % {"post": filing.post.name}
    return {
        FilingKind.APPOINT: _("首席质量官聘任备案回执"),
        FilingKind.CHANGE: _("首席质量官变更备案回执"),
        FilingKind.DISMISS: _("首席质量官解聘备案回执"),
    }[filing.kind]


def receipt_filename(filing: Filing) -> str:
    # Filings imported from the legacy records were approved before this system and have
    # no number of its own.
    return f"{_('备案回执')}-{filing.number or filing.pk}.pdf"


def render_receipt_pdf(filing: Filing) -> bytes:
    """The receipt of an approved filing (``filing`` with enterprise, appointment and
    person loaded; for a change also ``replaces``)."""
    from weasyprint import HTML

    if filing.status != FilingStatus.APPROVED:
        raise ValueError("only an approved filing has a receipt")
    url = verify_url(filing)
    # A receipt is an official document of the bureau: Chinese whatever the viewer's UI
    # language.
    with translation.override(settings.LANGUAGE_CODE):
        html = _receipt_html(filing, url)
    return HTML(string=html, base_url=site_url()).write_pdf()


def _receipt_html(filing: Filing, url: str) -> str:
    return render_to_string(
        "receipts/receipt_pdf.html",
        {
            "filing": filing,
            "title": receipt_title(filing),
            "person": filing.appointment.person,
            "appointment": filing.appointment,
            "bureau_name": bureau_name(),
            "bureau": _bureau(),
            "verify_url": url,
            "qr_svg": qr_svg(url),
            "generated_at": clock.localtime(),
        },
    )


# --- Verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the public verification page says about a genuine receipt."""

    filing: Filing
    current: bool  # the appointment this receipt files is in force today
    ended_on: date | None = None
    end_reason: str = ""  # display text
    ended_by: str = ""  # "change", "dismiss" or "" (ended otherwise, e.g. an exit)
    ended_by_number: str = ""

    @property
    def is_dismissal(self) -> bool:
        return self.filing.kind == FilingKind.DISMISS


def genuine_filing(token: str) -> Filing | None:
    """The approved filing whose receipt carries ``token``, or None (not genuine). A token
    that ``new_verify_token`` cannot have made (a mistyped or damaged link: other characters,
    a NUL byte, 5,000 characters) is not looked up."""
    if not VERIFY_TOKEN.fullmatch(token):
        return None
    return (
        Filing.objects.select_related("enterprise", "appointment__person", "post")
        .filter(verify_token=token, status=FilingStatus.APPROVED)
        .first()
    )


def verify(filing: Filing, *, today: date | None = None) -> Verification:
    today = today or clock.localdate()
    appointment: Appointment = filing.appointment
    if filing.kind == FilingKind.DISMISS:
        return Verification(
            filing=filing,
            current=False,
            ended_on=filing.end_date,
            end_reason=filing.get_end_reason_display(),
            ended_by=FilingKind.DISMISS,
            ended_by_number=filing.number or "",
        )
    if appointment.ended_on is None or appointment.ended_on > today:
        return Verification(filing=filing, current=True)
    ender = (
        Filing.objects.filter(status=FilingStatus.APPROVED)
        .filter(
            Q(kind=FilingKind.CHANGE, replaces=appointment)
            | Q(kind=FilingKind.DISMISS, appointment=appointment)
        )
        .order_by("approved_on", "pk")
        .first()
    )
    return Verification(
        filing=filing,
        current=False,
        ended_on=appointment.ended_on,
        end_reason=appointment.get_end_reason_display(),
        ended_by=ender.kind if ender else "",
        ended_by_number=(ender.number or "") if ender else "",
    )
