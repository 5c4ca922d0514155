"""Exam certificates (合格证明, issue 20): an A4 PDF like the filing receipt (WeasyPrint,
Chinese in Noto Sans CJK SC) with a QR code to ``SITE_URL/exam/verify/<token>/``, where
anyone can check that it is genuine. The ID number is printed masked only."""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from appointments.receipts import bureau_name, qr_svg
from cqo_registry import clock
from cqo_registry.site import site_url

from .models import Paper

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def verify_url(paper: Paper) -> str:
    return site_url() + reverse("exam:verify", args=[paper.certificate_token])


def genuine_paper(token: str) -> Paper | None:
    """The passed paper whose certificate carries ``token``, or None."""
    if not TOKEN_RE.fullmatch(token):
        return None
    return (
        Paper.objects.select_related("candidate__person", "candidate__sitting__post")
        .filter(certificate_token=token, passed=True)
        .first()
    )


def render_certificate_pdf(paper: Paper) -> bytes:
    """The certificate of a passed ``paper`` (candidate, person and sitting loaded). Raises
    ``ValueError`` for a paper that did not pass."""
    from weasyprint import HTML

    if not paper.passed:
        raise ValueError("only a passed paper has a certificate")
    url = verify_url(paper)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "exams/certificate_pdf.html",
            {
                "paper": paper,
                "candidate": paper.candidate,
                "person": paper.candidate.person,
                "sitting": paper.candidate.sitting,
                "bureau_name": bureau_name(),
                "verify_url": url,
                "qr_svg": qr_svg(url),
                "generated_at": clock.localtime(),
            },
        )
    return HTML(string=html, base_url=site_url()).write_pdf()


def certificate_filename(paper: Paper) -> str:
    return f"合格证明-{paper.certificate_number}.pdf"
