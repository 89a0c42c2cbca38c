from __future__ import annotations

from django.apps import AppConfig


class SentimentConfig(AppConfig):
    name = "apps.sentiment"
    verbose_name = "Sentiment and escalation"
