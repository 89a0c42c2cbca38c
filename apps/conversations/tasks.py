from __future__ import annotations

from celery import shared_task

from apps.conversations.services import reply_generate


@shared_task(queue="interactive", ignore_result=True)
def generate_reply(message_id: int) -> None:
    reply_generate(message_id=message_id)
