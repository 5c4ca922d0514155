"""The registry's clock: where the services read the time (issue 10 §5).

Every service, selector and record stamp reads "now" and "today" from here, never from
``django.utils.timezone`` directly. Outside ``running_at`` this is exactly
``timezone.now()`` and ``timezone.localdate()``. Inside it, the caller has injected the time
for its own context: the services write and check as if it were that moment. ``seed_demo``
makes the county's past through the real services this way, each step on the day it
happened (``cqo_registry/demo``), and a test can do the same without patching anything.

The injected clock is held in a context variable, so it is the caller's own: another thread,
request or Celery task running at the same moment reads the real time.

What the services write is stamped from this clock too, beyond their own ``now()`` calls:

* ``auto_now`` / ``auto_now_add`` fields are ``StampField`` (below);
* history rows (django-simple-history) get ``now()`` as their date unless the instance
  carries its own ``_history_date`` (``stamp_history_row``, connected in
  ``cqo_registry.accounts.apps``); ``bulk_history_create`` takes ``default_date``.

What still reads the real time: fields declared ``default=timezone.now`` (the user's
``date_joined``, the audit trail's ``at``, sign-in and invitation times). A default is
evaluated by Django, not by a service; the audit trail says when a thing was really done.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count

from django.db import models
from django.utils import timezone


@dataclass
class _Injected:
    """A clock set to ``at`` that moves on a millisecond at each reading, so that the steps
    taken under it keep their order (events, history rows, notifications)."""

    at: datetime
    ticks: Iterator[int] = field(default_factory=count)

    def now(self) -> datetime:
        return self.at + timedelta(milliseconds=next(self.ticks))


_injected: ContextVar[_Injected | None] = ContextVar("cqo_registry_clock", default=None)


def now() -> datetime:
    """The current moment, aware (UTC): the injected clock's inside ``running_at``, else
    ``timezone.now()``."""
    injected = _injected.get()
    return timezone.now() if injected is None else injected.now()


def localdate() -> date:
    """Today in the registry's time zone (``TIME_ZONE``), as read from ``now()``."""
    return timezone.localdate(now())


def localtime() -> datetime:
    """``now()`` in the registry's time zone."""
    return timezone.localtime(now())


def injected() -> bool:
    """True inside ``running_at``."""
    return _injected.get() is not None


@contextmanager
def running_at(at: datetime):
    """Run the block as if it were ``at`` (aware): ``now()`` starts there and moves on a
    millisecond per reading. Blocks nest; the inner one's clock is its own, and the outer one
    goes on where it stopped when the inner ends.

    Raises ``ValueError`` when ``at`` is ahead of the clock it runs inside (the real one at
    the outermost): the registry may be run as of a past moment, never a future one."""
    if at > now():
        raise ValueError(f"the clock may not run ahead of today: {at}")
    token = _injected.set(_Injected(at))
    try:
        yield
    finally:
        _injected.reset(token)


class StampField(models.DateTimeField):
    """A ``DateTimeField`` whose ``auto_now`` / ``auto_now_add`` stamp is ``now()``, so that a
    row written under ``running_at`` is dated then. The column and the migrations are those
    of a plain ``DateTimeField`` (``deconstruct`` says so): only the value stamped differs."""

    def pre_save(self, model_instance, add):
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


def stamp_history_row(sender, instance, history_instance, **kwargs) -> None:
    """``pre_create_historical_record`` receiver: under an injected clock, date the history
    row from it, unless the instance names its own date (``_history_date``)."""
    if injected() and not hasattr(instance, "_history_date"):
        history_instance.history_date = now()
