"""/metrics in Prometheus multiprocess mode: one scrape sums the counters of every process
on the host (here two short-lived processes that bumped them), beside the shared state."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db

# What a worker does when a reply ends, in a process of its own (no Django set-up needed).
A_PROCESS_REPLIES = (
    "from apps.ops.counters import REPLIES, REPLY_TTFT\n"
    "REPLIES.labels('faq', 'none', 'done').inc(3)\n"
    "REPLY_TTFT.labels('faq').observe(0.2)\n"
)


def test_a_scrape_sums_every_process_on_the_host(client, settings, tmp_path):
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    processes = [subprocess.Popen([sys.executable, "-c", A_PROCESS_REPLIES], env=env) for _ in "ab"]
    assert [process.wait(timeout=60) for process in processes] == [0, 0]

    body = client.get("/metrics").content.decode()

    assert 'surgedesk_replies_total{fallback_reason="none",route="faq",status="done"} 6.0' in body
    assert 'surgedesk_reply_ttft_seconds_count{route="faq"} 2.0' in body
    assert 'surgedesk_breaker_open{backend="cloud"}' in body  # the shared state, once
    assert body.count("# TYPE surgedesk_breaker_open gauge") == 1
