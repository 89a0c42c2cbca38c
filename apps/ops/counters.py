"""Prometheus counters that web and worker processes bump. They read no app.

Each process counts its own events (web: websocket frames; worker: replies); in
Prometheus multiprocess mode a scrape sums the host's processes. What every process shares
(breakers, engines, the queue, the answer cache) is read at scrape time by the roof
(``apps.dashboard.metrics``), which is the only place that reads other apps. A finished
reply also goes into the dashboard's per-minute rollups (``apps.ops.rollups``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from apps.ops import rollups

CHAT_FRAMES = Counter("surgedesk_chat_frames", "Customer websocket frames by outcome", ["outcome"])
# In multiprocess mode: the open sockets of the host's live web processes, summed.
CHAT_SOCKETS = Gauge(
    "surgedesk_chat_sockets", "Open customer websockets", multiprocess_mode="livesum"
)
REPLIES = Counter("surgedesk_replies", "Finished replies", ["route", "fallback_reason", "status"])
REPLY_TTFT = Histogram(
    "surgedesk_reply_ttft_seconds",
    "Time from a reply's start to its first text",
    ["route"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20),
)


def observe_reply(*, route: str, fallback_reason: str, status: str, ttft_ms: int | None) -> None:
    """A reply ended: count it here for ``/metrics`` and in the dashboard's rollups."""
    rollups.reply_finished(route=route, fallback_reason=fallback_reason, ttft_ms=ttft_ms)
    REPLIES.labels(route or "none", fallback_reason or "none", status).inc()
    if ttft_ms is not None:
        REPLY_TTFT.labels(route or "none").observe(ttft_ms / 1000)
