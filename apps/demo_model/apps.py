from __future__ import annotations

from django.apps import AppConfig


class DemoModelConfig(AppConfig):
    # An app only so that `manage.py build_demo_model` exists; it has no models.
    name = "apps.demo_model"
    verbose_name = "demo model builder"
