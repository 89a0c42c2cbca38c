"""A worker serves its own metrics on WORKER_METRICS_PORT, started by the roof's hook."""

from __future__ import annotations

import socket
import urllib.request
import weakref

import pytest
from celery.signals import worker_ready

from apps.dashboard.worker import serve_worker_metrics
from apps.inference.worker import warm_up_models
from apps.ops.counters import observe_reply

pytestmark = pytest.mark.django_db


def connected_to_worker_ready() -> list:
    receivers = (r for _, r in worker_ready.receivers)
    return [r() if isinstance(r, weakref.ReferenceType) else r for r in receivers]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_is_connected_to_worker_ready_by_the_app_configs():
    hooks = connected_to_worker_ready()
    assert serve_worker_metrics in hooks
    assert warm_up_models in hooks


def test_it_serves_counters_and_shared_state_on_the_worker_port(settings):
    settings.WORKER_METRICS_PORT = free_port()
    observe_reply(route="local", fallback_reason="", status="done", ttft_ms=40)
    server = serve_worker_metrics()
    url = f"http://127.0.0.1:{settings.WORKER_METRICS_PORT}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'surgedesk_replies_total{fallback_reason="none",route="local",status="done"}' in body
    assert 'surgedesk_breaker_open{backend="local"}' in body


def test_it_serves_nothing_when_the_port_is_unset(settings):
    settings.WORKER_METRICS_PORT = 0
    assert serve_worker_metrics() is None
