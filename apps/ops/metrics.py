"""Prometheus metrics.

Each process counts its own events (web: websocket frames; worker: replies). State that
every process shares (breakers, engines, the reply queue, the answer cache) is read at
scrape time, so any process's ``/metrics`` reports it consistently. A worker serves its
own metrics on ``WORKER_METRICS_PORT`` when that is set.
"""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

CHAT_FRAMES = Counter("surgedesk_chat_frames", "Customer websocket frames by outcome", ["outcome"])
CHAT_SOCKETS = Gauge("surgedesk_chat_sockets", "Open customer websockets in this process")
REPLIES = Counter("surgedesk_replies", "Finished replies", ["route", "fallback_reason", "status"])
REPLY_TTFT = Histogram(
    "surgedesk_reply_ttft_seconds",
    "Time from a reply's start to its first text",
    ["route"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20),
)


def observe_reply(*, route: str, fallback_reason: str, status: str, ttft_ms: int | None) -> None:
    REPLIES.labels(route or "none", fallback_reason or "none", status).inc()
    if ttft_ms is not None:
        REPLY_TTFT.labels(route or "none").observe(ttft_ms / 1000)


class SharedStateCollector:
    """Breakers, engines, the reply queue and the answer cache, read when scraped."""

    def collect(self):
        for family in (self._breakers, self._engines, self._queue, self._answer_cache):
            try:
                yield from family()
            except Exception:  # a scrape must not fail because one source is down
                logger.warning("metrics source failed: %s", family.__name__, exc_info=True)

    def _breakers(self):
        from apps.inference.breakers import breaker_states

        family = GaugeMetricFamily(
            "surgedesk_breaker_open", "1 when a backend's breaker is open", labels=["backend"]
        )
        for backend, state in breaker_states().items():
            family.add_metric([backend], 1.0 if state == "open" else 0.0)
        yield family

    def _engines(self):
        from apps.inference import engine_stats

        family = GaugeMetricFamily(
            "surgedesk_engine", "Local engine figures per worker", labels=["worker", "figure"]
        )
        for worker, figures in engine_stats.all_engines().items():
            for name, value in figures.items():
                family.add_metric([worker, name], float(value))
        yield family

    def _queue(self):
        from apps.conversations.selectors import replies_waiting

        yield GaugeMetricFamily(
            "surgedesk_reply_queue_depth", "Replies waiting for a worker", value=replies_waiting()
        )

    def _answer_cache(self):
        from apps.faq.answer_cache import answer_cache_stats

        stats = answer_cache_stats()
        family = GaugeMetricFamily(
            "surgedesk_answer_cache_lookups", "Answer cache lookups", labels=["result"]
        )
        family.add_metric(["hit"], stats["hits"])
        family.add_metric(["miss"], stats["misses"])
        yield family


_registered = False


def register_shared_state() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(SharedStateCollector())
        _registered = True
