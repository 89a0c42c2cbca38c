"""Prometheus: what every process shares, read at scrape time, beside the processes' counters.

The counters live on the ops floor (``apps.ops.counters``) so that workers and consumers
can bump them without reading the roof. This collector reads breakers, engines (and the
models they hold), the reply queue and the answer cache, so any process's ``/metrics``
reports them consistently.

With ``PROMETHEUS_MULTIPROC_DIR`` set (multiprocess mode), every web and worker process on
a host writes its counters to files there, and a scrape of any one of them reads the
host's sum: scrape one target per host. Without it, each process serves only its own
counters: scrape every web process and every worker's port.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.utils.crypto import salted_hmac
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from apps.conversations.selectors import replies_waiting
from apps.faq.answer_cache import answer_cache_stats
from apps.inference import engine_stats
from apps.inference.breakers import breaker_states

logger = logging.getLogger(__name__)


class SharedStateCollector:
    """Breakers, engines, the reply queue and the answer cache, read when scraped."""

    def collect(self) -> Iterator[Metric]:
        for family in (_breakers, _engines, _loaded_models, _queue, _answer_cache):
            try:
                yield from family()
            except Exception:  # a scrape must not fail because one source is down
                logger.warning("metrics source failed: %s", family.__name__, exc_info=True)


def _breakers() -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "surgedesk_breaker_open", "1 when a backend's breaker is open", labels=["backend"]
    )
    for backend, state in breaker_states().items():
        family.add_metric([backend], 1.0 if state == "open" else 0.0)
    yield family


def _engines() -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "surgedesk_engine", "Local engine figures per worker", labels=["worker", "figure"]
    )
    for worker, figures in engine_stats.all_engines().items():
        for name, value in figures.items():
            family.add_metric([_worker_label(worker), name], float(value))
    yield family


def _loaded_models() -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "surgedesk_engine_model_bytes",
        "Weights of each local model a worker holds in memory",
        labels=["worker", "model"],
    )
    for worker, models in engine_stats.loaded_models().items():
        for model, nbytes in models.items():
            family.add_metric([_worker_label(worker), model], float(nbytes))
    yield family


def _worker_label(worker: str) -> str:
    """A stable id for a worker that does not name its host (``/healthz`` does, to staff)."""
    return salted_hmac("surgedesk.metrics.worker", worker).hexdigest()[:12]


def _queue() -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "surgedesk_reply_queue_depth", "Replies waiting for a worker", value=replies_waiting()
    )


def _answer_cache() -> Iterator[Metric]:
    stats = answer_cache_stats()
    family = GaugeMetricFamily(
        "surgedesk_answer_cache_lookups", "Answer cache lookups", labels=["result"]
    )
    family.add_metric(["hit"], stats["hits"])
    family.add_metric(["miss"], stats["misses"])
    yield family


_registered = False


def scrape_registry() -> CollectorRegistry:
    """What a scrape of this process reads: the shared state, and in multiprocess mode the
    counters of every process on the host (read afresh from their files), else this
    process's own."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
        registry.register(SharedStateCollector())
        return registry
    global _registered
    if not _registered:  # once per process (web or worker)
        REGISTRY.register(SharedStateCollector())
        _registered = True
    return REGISTRY


def forget_this_process() -> None:
    """On exit in multiprocess mode: this process's open-socket gauge stops counting."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.mark_process_dead(os.getpid(), path=settings.PROMETHEUS_MULTIPROC_DIR)
