"""A Celery worker serves its own Prometheus metrics when ``WORKER_METRICS_PORT`` is set.

Connected from ``DashboardConfig.ready`` so that the worker's start-up reaches the roof
without the config floor (``apps.config.celery``) importing it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIServer

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import connections
from prometheus_client import start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from apps.dashboard.metrics import forget_this_process, scrape_registry

logger = logging.getLogger(__name__)


class _ScrapeRegistry(Collector):
    """The scrape registry, read in a thread of the metrics server's own: that thread's
    database connection (the queue depth) is closed after each scrape, not left to the GC."""

    def collect(self) -> Iterator[Metric]:
        try:
            yield from scrape_registry().collect()
        finally:
            connections.close_all()


@worker_ready.connect
def serve_worker_metrics(**kwargs: Any) -> WSGIServer | None:
    if not settings.WORKER_METRICS_PORT:
        return None
    server, _ = start_http_server(
        settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR, registry=_ScrapeRegistry()
    )
    logger.info("worker metrics on port %s", settings.WORKER_METRICS_PORT)
    return server


@worker_shutdown.connect
def _forget_worker_metrics(**kwargs: Any) -> None:
    forget_this_process()
