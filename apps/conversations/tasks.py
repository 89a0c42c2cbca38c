"""Celery tasks and worker lifecycle hooks: thin, they take ids and call one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings

from apps.config.queues import BACKGROUND_QUEUE, INTERACTIVE_QUEUE, consumes
from apps.conversations.csat import start_csat_sweeper
from apps.conversations.leases import GENERATE_REPLY_TASK
from apps.conversations.reaper import start_reaper
from apps.conversations.replies import drain_begin, reply_generate


@shared_task(name=GENERATE_REPLY_TASK, queue=INTERACTIVE_QUEUE, ignore_result=True)
def generate_reply(message_id: int) -> None:
    reply_generate(message_id=message_id)


@worker_ready.connect
def _start_sweepers(sender: Any, **kwargs: Any) -> None:
    # Only reply workers reap: the reaper writes replies itself while the broker is down,
    # which a background worker must never do.
    if consumes(sender, INTERACTIVE_QUEUE):
        start_reaper()
    # Background workers ask idle conversations for a rating (``apps.conversations.csat``).
    if consumes(sender, BACKGROUND_QUEUE):
        start_csat_sweeper()


@worker_shutting_down.connect
def _drain(**kwargs: Any) -> None:
    drain_begin(settings.WORKER_DRAIN_S)
