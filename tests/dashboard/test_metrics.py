"""/metrics: Prometheus text with this process's counters and the shared state."""

from __future__ import annotations

import re
import socket

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from apps.config.redis_client import shared_redis
from apps.inference import engine_stats
from apps.ops.counters import observe_reply

pytestmark = pytest.mark.django_db


def test_it_exposes_breakers_queue_depth_and_cache(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'surgedesk_breaker_open{backend="local"}' in body
    assert 'surgedesk_breaker_open{backend="cloud"}' in body
    assert "surgedesk_reply_queue_depth 0.0" in body
    assert 'surgedesk_answer_cache_lookups{result="hit"}' in body


def test_it_counts_replies_by_route_and_fallback_reason():
    labels = {"route": "faq", "fallback_reason": "breaker_open", "status": "done"}
    before = REGISTRY.get_sample_value("surgedesk_replies_total", labels) or 0
    observe_reply(route="faq", fallback_reason="breaker_open", status="done", ttft_ms=12)
    assert REGISTRY.get_sample_value("surgedesk_replies_total", labels) == before + 1
    assert REGISTRY.get_sample_value("surgedesk_reply_ttft_seconds_count", {"route": "faq"}) >= 1


@pytest.mark.slow
def test_the_web_process_counts_websocket_frames(chat, live_stack):
    import urllib.request

    client = chat()
    client.ws.send("{broken")
    assert client.recv()["code"] == "invalid_json"
    with urllib.request.urlopen(live_stack.base_url + "/metrics", timeout=10) as response:
        body = response.read().decode()
    assert 'surgedesk_chat_frames_total{outcome="invalid_json"}' in body
    sockets = re.search(r"^surgedesk_chat_sockets (\S+)$", body, re.MULTILINE)
    assert sockets is not None and float(sockets.group(1)) >= 1  # this test's socket is open


def test_with_a_token_only_its_bearer_may_scrape(client, settings):
    settings.METRICS_TOKEN = "scrape-token-for-tests"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")
    assert allowed.status_code == 200
    assert "surgedesk_reply_queue_depth" in allowed.content.decode()


def test_in_production_without_a_token_it_is_off(client, settings):
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_it_labels_workers_without_naming_their_hosts(client):
    engine_stats.publish({"healthy": 1, "batched_steps": 3}, {})
    try:
        body = client.get("/metrics").content.decode()
    finally:
        shared_redis().delete(engine_stats.this_process_key())
    assert 'figure="batched_steps"' in body
    assert socket.gethostname() not in body


def test_it_shows_which_local_models_each_worker_holds(client):
    engine_stats.publish({"healthy": 1}, {"models/small": 4_000_000, "models/big": 90_000_000})
    try:
        body = client.get("/metrics").content.decode()
        health = client.get("/healthz", REMOTE_ADDR="127.0.0.1").json()
    finally:
        key = engine_stats.this_process_key()
        shared_redis().delete(key, key + engine_stats.MODELS_SUFFIX)
    (family,) = [
        family
        for family in text_string_to_metric_families(body)
        if family.name == "surgedesk_engine_model_bytes"
    ]
    # Other live workers (a stack another test started) may report models too: group by worker.
    by_worker: dict[str, dict[str, float]] = {}
    for sample in family.samples:
        by_worker.setdefault(sample.labels["worker"], {})[sample.labels["model"]] = sample.value
    assert {"models/small": 4e6, "models/big": 9e7} in by_worker.values()
    assert health["models"][engine_stats.this_process_name()] == {
        "models/small": 4_000_000,
        "models/big": 90_000_000,
    }
