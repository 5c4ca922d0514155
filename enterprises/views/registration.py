"""Enterprise self-registration (/register/): anyone may apply; the account waits for a
bureau reviewer (``services.registration_approve``)."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cqo_registry.accounts import throttles
from cqo_registry.accounts.views.throttles import too_many_requests

from ..forms import RegistrationForm
from ..models import EnterpriseRegistration
from ..services import registration_submit

SESSION_KEY = "registration_submitted"


@require_http_methods(["GET", "POST"])
def register(request):
    """The form (with a CAPTCHA); ``CQO_REGISTRATION_RATE`` registrations sent per IP address
    (5 an hour), then 429 — a form sent back with errors does not count."""
    if request.method == "POST" and not throttles.registration_allowed(request):
        return too_many_requests(request)
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = registration_submit(**form.submit_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            throttles.count_registration(request)
            request.session[SESSION_KEY] = registration.pk
            return redirect("registration:done")
    return render(request, "registration/register.html", {"form": form})


def done(request):
    """The "submitted, waiting for review" page; it names the application just sent from
    this browser session (and nothing else: the page is public)."""
    pk = request.session.get(SESSION_KEY)
    registration = (
        EnterpriseRegistration.objects.filter(pk=pk).select_related("enterprise").first()
        if pk
        else None
    )
    return render(request, "registration/done.html", {"registration": registration})
