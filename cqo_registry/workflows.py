"""What every workflow service shares (CONVENTIONS "Where things go" 1 and 5), written once:

* :func:`save_validated` — ``full_clean()`` then ``save()``, the history row attributed to the
  actor (also outside a request: tasks, imports, the demo) with an optional reason;
* :class:`Transitions` — a workflow's allowed status changes declared as data (one table per
  workflow, as django-oscar's pipelines): :meth:`Transitions.require` refuses a step from a
  status the table does not allow, with the message a user can act on;
* :func:`locked` — a row read again for a workflow step, locked alone (CONVENTIONS "Lock only
  the row you mean");
* :func:`error_text` — a domain ``ValidationError`` as the one line a view puts in a message.
"""

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError


def save_validated(instance, actor, *, reason: str = "", **clean_kwargs) -> None:
    """Validate ``instance`` (``full_clean(**clean_kwargs)``) and save it, its history row
    (django-simple-history) attributed to ``actor`` and, when given, ``reason`` (cut to the
    100 characters the history keeps). Raises ``ValidationError``."""
    instance._history_user = actor
    if reason:
        instance._change_reason = reason[:100]
    instance.full_clean(**clean_kwargs)
    instance.save()


def locked(instance, *related: str):
    """``instance`` read again from the database with its row locked until the transaction
    ends (``SELECT … FOR UPDATE OF`` its own table only), the ``related`` rows joined but not
    locked. Must run inside ``transaction.atomic``; raises ``DoesNotExist`` when the row is
    gone."""
    return (
        type(instance)
        ._default_manager.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=instance.pk)
    )


def error_text(error: ValidationError) -> str:
    """A ``ValidationError`` as one line for ``messages``: its messages joined by spaces."""
    return " ".join(error.messages)


class Transitions:
    """A workflow's statuses and the steps between them, declared once.

    ``steps`` maps an action name to ``(from statuses, to status)`` (to status ``None``: the
    action keeps the status, e.g. correcting a draft); ``message`` is the
    refusal, formatted with ``%(status)s`` (the record's current status, as displayed).
    ``allowed`` gives the full table {from status: set of to statuses}, for documentation
    and tests."""

    def __init__(self, steps: Mapping[str, tuple[Iterable[str], str | None]], *, message):
        self.steps = {
            action: (tuple(sources), target) for action, (sources, target) in steps.items()
        }
        self.message = message

    def sources(self, action: str) -> tuple[str, ...]:
        """The statuses ``action`` may start from. ``KeyError`` for an undeclared action."""
        return self.steps[action][0]

    def target(self, action: str) -> str | None:
        """The status ``action`` leads to (``None``: it keeps the status)."""
        return self.steps[action][1]

    @property
    def allowed(self) -> dict[str, set[str]]:
        table: dict[str, set[str]] = {}
        for sources, target in self.steps.values():
            for source in sources:
                if target is not None:
                    table.setdefault(source, set()).add(target)
        return table

    def can(self, instance, action: str) -> bool:
        return instance.status in self.sources(action)

    def require(self, instance, action: str) -> None:
        """Raise ``ValidationError`` (code ``wrong_status``) unless ``instance.status`` is one
        ``action`` may start from."""
        require_status(instance, *self.sources(action), message=self.message)


def require_status(instance, *allowed: str, message) -> None:
    """Raise ``ValidationError`` (code ``wrong_status``) with ``message`` (formatted with the
    displayed ``%(status)s``) unless ``instance.status`` is one of ``allowed``."""
    if instance.status not in allowed:
        raise ValidationError(
            message % {"status": instance.get_status_display()}, code="wrong_status"
        )
