"""Celery tasks of the API: thin, they take ids and call one function."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.dispatch import receiver

from apps.api.webhooks import agent_message_push
from apps.config.queues import BACKGROUND_QUEUE
from apps.conversations.models import Conversation
from apps.conversations.signals import agent_message_posted

logger = logging.getLogger(__name__)


@shared_task(
    name="api.push_agent_message",
    queue=BACKGROUND_QUEUE,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=2,
    max_retries=4,
)
def push_agent_message(message_id: int) -> None:
    agent_message_push(message_id=message_id)


@receiver(agent_message_posted, dispatch_uid="api-webhook")
def _queue_push(sender: Any, *, message_id: int, channel: str, **kwargs: Any) -> None:
    """An agent answered an API customer: push it, off the agent's request."""
    if channel != Conversation.Channel.API:
        return
    try:
        push_agent_message.delay(message_id)
    except Exception:  # the broker is away: the client can still fetch the message
        logger.warning("could not queue the webhook push of message %s", message_id)
