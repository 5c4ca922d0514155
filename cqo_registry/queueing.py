"""Queue Celery tasks after the current transaction commits, without letting a broker outage
undo or fail the work that was committed.

A request that approved a filing has committed by the time its side effects are queued. If
the broker is down then, the approval must still stand and the page must still say so: the
publish error is logged, and the task's work is picked up later by whatever owns it (for
notification emails, the periodic sweep of ``cqo_registry.accounts.tasks``). Every task queued
this way must therefore be one whose work can be found again from the database.
"""

import logging

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def queue_on_commit(task: Task, *args, **kwargs) -> None:
    """Queue ``task.apply_async(args, kwargs)`` once the current transaction commits (at once
    when none is open). A broker that cannot be reached is logged as a warning, not raised.

    With no broker configured (``make run``, tests) the task runs in-process at that point;
    its own errors propagate as usual.
    """

    def publish():
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except OperationalError:
            logger.warning(
                "Broker unreachable: %s not queued now; it will be picked up later.",
                task.name,
                exc_info=True,
            )

    transaction.on_commit(publish)
