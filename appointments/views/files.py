from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cqo_registry.accounts.access import get_scoped_or_404

from ..selectors import appointment_list


# The review page shows a PDF letter inline in an <object>; the site-wide DENY would block it.
@xframe_options_sameorigin
@login_required
def letter_download(request, pk: int):
    """Serve an appointment letter to users whose scope includes its enterprise. Letters live
    outside the static tree and have no other URL."""
    appointment = get_scoped_or_404(appointment_list(request.user), pk=pk)
    if not appointment.letter:
        raise Http404
    response = FileResponse(appointment.letter.open("rb"), as_attachment=False)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
