"""Appointment letters (聘任文件): private files with no URL but these, served to users whose
scope holds the enterprise and whose role opens private files (not leaders: SPEC §1)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cqo_registry.accounts.access import get_scoped_or_404
from cqo_registry.pages import audited_file_response

from ..selectors import appointment_list


def _letter_response(request, pk: int, *, inline: bool):
    appointment = get_scoped_or_404(appointment_list(request.user), pk=pk)
    if not request.user.has_perm("appointments.open_private_files"):
        raise PermissionDenied  # a leader sees the appointment, not its letter
    return audited_file_response(
        request,
        appointment.letter,
        filename=f"letter-{appointment.pk}",
        obj=appointment,
        inline=inline,
    )


@login_required
def letter_download(request, pk: int):
    """The letter as a download."""
    return _letter_response(request, pk, inline=False)


# The review page shows a PDF or image letter inline in an <object>/<img>; the site-wide
# DENY would block it. Anything but a PDF or an image still goes out as a download.
@xframe_options_sameorigin
@login_required
def letter_inline(request, pk: int):
    """The letter for the page that embeds it (PDF or image only)."""
    return _letter_response(request, pk, inline=True)
