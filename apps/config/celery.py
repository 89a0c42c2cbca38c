"""The Celery app. Worker start-up hooks live with what they start (``apps.inference.worker``,
``apps.dashboard.worker``, ``apps.conversations.tasks``), so this floor imports no app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.config.settings")

app = Celery("surgedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
