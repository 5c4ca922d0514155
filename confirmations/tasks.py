"""Tasks of the yearly confirmation: they take ids, call a service and are idempotent."""

from celery import shared_task

from . import services


@shared_task
def announce_confirmation_round(round_id: int) -> int:
    """Tell every enterprise still to confirm that the round is open (once each)."""
    return services.round_announce(round_id)
