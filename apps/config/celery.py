"""The Celery app. Worker start-up hooks live with what they start (``apps.inference.worker``,
``apps.dashboard.worker``, ``apps.conversations.tasks``), so this floor imports no app."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.config.settings")

# How often a worker whose every thread is busy looks again for a free one.
FREE_THREAD_CHECK_S = 0.02


class TakeTheNextTaskPromptly(bootsteps.StartStopStep):
    """``worker_disable_prefetch`` stops reading the queue while every thread is busy, and
    the worker's event loop looks again only on its next tick: up to a second later, with
    nothing else scheduled. Meanwhile a freed thread sat idle, so a saturated worker
    started about one task per thread per second. A short repeating timer makes the loop
    look every ``FREE_THREAD_CHECK_S``."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, consumer: Any, **kwargs: Any) -> None:
        self.timer: Any = None

    def start(self, consumer: Any) -> None:
        if consumer.hub is not None:
            self.timer = consumer.hub.call_repeatedly(FREE_THREAD_CHECK_S, _look_again)

    def stop(self, consumer: Any) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def _look_again() -> None:
    """Nothing to do: waking the loop is the point (its tick resumes reading the queue)."""


app = Celery("surgedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(TakeTheNextTaskPromptly)
app.autodiscover_tasks()
