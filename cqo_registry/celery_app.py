"""Celery application.

Configuration comes from Django settings (``CELERY_*``). With no broker configured the
settings turn on ``task_always_eager`` so that tasks run in-process (``make run``, tests).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.local")

app = Celery("cqo_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
