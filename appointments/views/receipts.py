"""Receipts (备案回执) of approved filings and their public verification page."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.responses import pdf_response

from .. import receipts
from ..models import FilingStatus
from ..selectors import filing_list

# Leaders and town officers see filings in their statistics but have no use for the receipt
# itself: it is the bureau's document, handed to the enterprise.


@permission_required("appointments.view_receipt")
def receipt_pdf(request, pk: int):
    """The receipt of an approved filing, for the bureau and the filing's own enterprise
    (another enterprise's filing, or one not approved, is a 404)."""
    filing = get_scoped_or_404(
        filing_list(request.user)
        .filter(status=FilingStatus.APPROVED)
        .select_related("replaces__person"),
        pk=pk,
    )
    return pdf_response(
        receipts.render_receipt_pdf(filing), filename=receipts.receipt_filename(filing)
    )


@never_cache
def verify(request, token: str):
    """Public: is this receipt genuine, and is the appointment it records still current?
    Shows no ID number and no mobile."""
    filing = receipts.genuine_filing(token)
    if filing is None:
        response = render(request, "receipts/verify_unknown.html", status=404)
    else:
        response = render(
            request,
            "receipts/verify.html",
            {
                "result": receipts.verify(filing),
                "filing": filing,
                "checked_at": timezone.localtime(),
                "bureau_name": receipts.bureau_name(),
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
