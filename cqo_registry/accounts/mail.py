"""Account e-mails (password reset, invitations): rendered now, in the user's language, and
handed to a Celery task once the transaction commits (``queueing.queue_on_commit``) — a
request that changed data never fails because the mail server or the broker did, and nothing
is sent for a change that was rolled back."""

from django.template.loader import render_to_string

from cqo_registry.queueing import queue_on_commit
from cqo_registry.site import site_url


def send_on_commit(*, template: str, context: dict, to: str) -> None:
    """Send ``emails/<template>_subject.txt`` / ``.txt`` / ``.html`` to ``to`` after commit
    (at once outside a transaction) with ``tasks.send_account_email``. ``site_url`` is added
    to the context."""
    from cqo_registry.bureau import profile

    from .tasks import send_account_email

    context = {"site_url": site_url(), "bureau": profile.current(), **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    queue_on_commit(send_account_email, subject, text, html, to)
