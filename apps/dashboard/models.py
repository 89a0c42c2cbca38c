"""The roof has no tables; this proxy only gives the AI outcome figures a page in admin."""

from __future__ import annotations

from apps.conversations.models import Conversation


class AiOutcome(Conversation):
    class Meta:
        proxy = True
        verbose_name = "AI outcome"
        verbose_name_plural = "AI outcomes"
