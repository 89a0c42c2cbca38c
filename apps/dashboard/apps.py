from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The roof: the ops page, ``/metrics`` and ``/healthz``. It reads every app; no app
    imports it (``tests/test_architecture.py``)."""

    name = "apps.dashboard"
    verbose_name = "Ops dashboard"

    def ready(self) -> None:
        # Registers the worker's metrics server on Celery's worker_ready.
        from apps.dashboard import worker  # noqa: F401
