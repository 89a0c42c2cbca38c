"""The Celery app. Worker start-up hooks live with what they start (``apps.inference.worker``,
``apps.dashboard.worker``, ``apps.conversations.tasks``), so this floor imports no app."""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import setup_logging, task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections

from apps.config import logs

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


@setup_logging.connect
def _log_as_the_web_does(**kwargs: Any) -> None:
    """Celery would give the root logger a plain handler of its own: workers write the
    same JSON lines as web processes (``settings.LOGGING``)."""
    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _task_begins(task_id: str, **kwargs: Any) -> None:
    logs.unbind_all()  # a pool thread runs task after task: nothing of the last one stays
    logs.bind(task_id=task_id)
    # As Django does around a request: a connection past CONN_MAX_AGE or broken goes, and
    # the one kept is health-checked on its first use (settings.CELERY_DB_REUSE_MAX).
    close_old_connections()


@task_postrun.connect
def _task_ends(**kwargs: Any) -> None:
    logs.unbind_all()
    close_old_connections()


app = Celery("surgedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(TakeTheNextTaskPromptly)
app.autodiscover_tasks()
