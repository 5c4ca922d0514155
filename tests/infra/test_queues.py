"""Separate Celery queues, so that a province can give machines to one kind of work: each
task's queue, and a worker started without --queues taking every queue (one machine)."""

import pytest

from cqo_registry.celery_app import app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("cqo_registry.accounts.tasks.send_notification_emails", "mail"),
        ("cqo_registry.accounts.tasks.sweep_notification_emails", "mail"),
        ("reports.tasks.take_daily_snapshot", "statistics"),
        ("reports.tasks.take_deadline_snapshots", "statistics"),
        ("reports.tasks.recompute_snapshot", "statistics"),
        ("enterprises.tasks.send_overdue_vacancy_reminders", "celery"),
        ("cqo_registry.reminders.tasks.send_reminders", "celery"),
        ("confirmations.tasks.announce_confirmation_round", "celery"),
        ("cqo_registry.tasks.check_database", "celery"),
        # The names import and export tasks take.
        ("enterprises.tasks.import_enterprises", "imports"),
        ("reports.tasks.export_assessment_report", "reports"),
    ],
)
def test_each_task_goes_to_its_queue(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_registered_task_of_the_project_has_a_declared_queue():
    app.loader.import_default_modules()
    declared = set(app.amqp.queues)
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours
    for name in ours:
        assert app.amqp.router.route({}, name)["queue"].name in declared, name


def test_a_worker_without_queues_takes_them_all():
    assert set(app.amqp.queues) == {"celery", "statistics", "mail", "imports", "reports"}
