from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.api"
    verbose_name = "OpenAI-compatible API"

    def ready(self) -> None:
        from apps.api import tasks  # noqa: F401  (connects the webhook's signal receiver)
