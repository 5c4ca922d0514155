"""The registry's clock (issue 10 §5, cqo_registry/clock.py): the time the services read is
injected by their caller, without patching anything, and what they write is dated by it —
their own stamps, ``auto_now_add`` fields and history rows."""

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments import sanctions
from cqo_registry import clock
from tests.factories import EnterpriseFactory

ROOT = Path(__file__).resolve().parents[2]
AT = timezone.make_aware(datetime(2023, 3, 14, 10, 30))


def test_outside_an_injected_clock_it_is_the_real_time():
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert clock.localdate() == timezone.localdate()
    assert not clock.injected()


def test_an_injected_clock_starts_at_its_moment_and_keeps_order():
    with clock.running_at(AT):
        assert clock.injected()
        first, second = clock.now(), clock.now()
        assert first == AT and second == AT + timedelta(milliseconds=1)
        assert clock.localdate() == date(2023, 3, 14)
        assert clock.localtime().tzinfo is not None
    assert not clock.injected()


def test_clocks_nest_and_the_outer_goes_on_where_it_stopped():
    with clock.running_at(AT):
        clock.now()
        with clock.running_at(AT - timedelta(days=1)):
            assert clock.localdate() == date(2023, 3, 13)
        # The inner clock's check read the outer once: it has moved on two readings.
        assert clock.now() == AT + timedelta(milliseconds=2)


def test_it_may_not_run_ahead_of_the_clock_around_it():
    with pytest.raises(ValueError):
        with clock.running_at(timezone.now() + timedelta(minutes=1)):
            pass
    with clock.running_at(AT):
        with pytest.raises(ValueError):
            with clock.running_at(AT + timedelta(days=1)):
                pass


def test_another_thread_reads_the_real_time():
    seen = []
    with clock.running_at(AT):
        thread = threading.Thread(target=lambda: seen.append(clock.localdate()))
        thread.start()
        thread.join()
    assert seen == [timezone.localdate()]


@pytest.mark.django_db
def test_a_service_run_under_the_clock_checks_and_stamps_by_it(reviewer):
    """``incident_record`` refuses an incident after "today" and stamps the row's
    ``created_at`` (``auto_now_add``) and its history row with the injected time."""
    enterprise = EnterpriseFactory()
    with clock.running_at(AT):
        with pytest.raises(ValidationError):
            sanctions.incident_record(
                enterprise=enterprise,
                occurred_on=date(2023, 3, 15),  # long past, but after the injected today
                severity="general",
                source="spot_check",
                description="抽检不合格",
                actor=reviewer,
            )
        incident = sanctions.incident_record(
            enterprise=enterprise,
            occurred_on=date(2023, 3, 14),
            severity="general",
            source="spot_check",
            description="抽检不合格",
            actor=reviewer,
        )
    incident.refresh_from_db()
    assert AT <= incident.created_at < AT + timedelta(seconds=1)
    history = incident.history.get()
    assert AT <= history.history_date < AT + timedelta(seconds=1)
    assert history.history_date > incident.created_at  # stamped after the row, in order


@pytest.mark.django_db
def test_without_an_injected_clock_history_keeps_the_real_time(reviewer):
    before = timezone.now()
    incident = sanctions.incident_record(
        enterprise=EnterpriseFactory(),
        occurred_on=timezone.localdate(),
        severity="general",
        source="spot_check",
        description="抽检不合格",
        actor=reviewer,
    )
    assert incident.created_at >= before
    assert incident.history.get().history_date >= before


def test_no_shipped_code_patches_with_unittest_mock():
    """Issue 10 §5: time is injected (``cqo_registry.clock``), not patched; only tests and
    benchmarks may use ``unittest.mock``."""
    found = []
    for top in ROOT.iterdir():
        if top.name in {"tests", "bench"} or top.name.startswith(".") or not top.is_dir():
            continue
        for path in top.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "unittest import mock" in text or "unittest.mock" in text:
                found.append(str(path.relative_to(ROOT)))
    assert found == []
