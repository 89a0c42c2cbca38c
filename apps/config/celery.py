from __future__ import annotations

import logging
import os
import threading

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.config.settings")

logger = logging.getLogger(__name__)

app = Celery("surgedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def warm_up_models(sender, **kwargs) -> None:
    """Load the local model and the FAQ index at start, not on the first customer's message.

    Only in a pool without fork: MLX work in a parent process hangs forked children, so a
    prefork pool loads lazily in each child instead.
    """
    _serve_metrics()
    if sender.controller.pool_cls.__module__.endswith("prefork"):
        return
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()


def _serve_metrics() -> None:
    from django.conf import settings
    from prometheus_client import start_http_server

    from apps.ops.metrics import register_shared_state

    if settings.WORKER_METRICS_PORT:
        register_shared_state()
        start_http_server(settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR)
        logger.info("worker metrics on port %s", settings.WORKER_METRICS_PORT)


def _warm_up() -> None:
    from apps.faq.retrieval import warm_up as warm_up_faq
    from apps.inference.backends.local_mlx import get_engine

    for name, step in (("local model", get_engine().warm_up), ("FAQ index", warm_up_faq)):
        try:
            step()
            logger.info("%s ready", name)
        except Exception:
            logger.exception("%s failed to warm up; it loads on first use", name)
