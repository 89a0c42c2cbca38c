from __future__ import annotations

from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "apps.inference"

    def ready(self) -> None:
        # Registers the model warm-up on Celery's worker_ready.
        from apps.inference import worker  # noqa: F401
