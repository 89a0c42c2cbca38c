from __future__ import annotations

from django.apps import AppConfig


class FaqConfig(AppConfig):
    name = "apps.faq"
    verbose_name = "FAQ"
