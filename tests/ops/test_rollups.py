"""Per-minute rollups in the real (test) Redis: what each event writes, how long it stays,
how the dashboard bins it, and that a Redis outage costs the event, never its caller."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import timedelta

import pybreaker
import pytest
from django.utils import timezone

from apps.config.redis_client import shared_redis
from apps.conversations.admission import line_join
from apps.conversations.leases import reply_claim
from apps.conversations.models import Conversation, Message
from apps.conversations.services import handoff_request, message_post
from apps.dashboard.plots import plot_data, ttft_percentile
from apps.inference.breakers import get_breaker
from apps.ops import rollups
from apps.ops.counters import observe_reply
from tests.inference.fixtures import fresh_breakers  # noqa: F401

NOW = 1_800_000_000.0  # a fixed "now", 17:20 UTC: minutes are its multiples of 60


@pytest.fixture(autouse=True)
def own_rollups(settings):
    """Rollup keys of this test's own (the prefix keeps deployments and stacks apart)."""
    prefix = settings.CELERY_KEY_PREFIX = f"test-rollups-{uuid.uuid4().hex}:"
    client = shared_redis()
    yield
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


def this_minute() -> rollups.Minute:
    now = time.time()
    return rollups.minutes_between(int(now), int(now))[0]


def test_a_finished_reply_counts_its_route_fallback_and_ttft_for_over_a_day():
    observe_reply(route="faq", fallback_reason="surge", status="done", ttft_ms=80)
    observe_reply(route="local", fallback_reason="", status="done", ttft_ms=None)
    minute = this_minute()
    assert minute.counts == {"reply:faq": 1, "fallback:surge": 1, "ttft:100": 1, "reply:local": 1}
    ttl = shared_redis().ttl(rollups._key(minute.start))
    assert 24 * 3600 < ttl <= rollups.ROLLUP_TTL_S


def test_a_gauge_keeps_its_peak_and_its_last_value_in_the_minute():
    for waiting in (3, 7, 2):
        rollups.waiting_for_person(conversations=waiting)
    minute = this_minute()
    assert minute.peaks == {"waiting_human": 7}
    assert minute.last == {"waiting_human": 2}


def test_a_breaker_that_trips_puts_open_on_the_timeline(fresh_breakers):  # noqa: F811
    breaker = get_breaker("cloud")

    def fails() -> None:
        raise ConnectionError("cloud down")

    for _ in range(2):  # fresh_breakers: fail_max 2
        with pytest.raises(ConnectionError):
            breaker.call(fails)
    assert breaker.current_state == pybreaker.STATE_OPEN
    minute = this_minute()
    assert minute.peaks["breaker:cloud"] == rollups.BREAKER_LEVELS["open"]
    assert minute.last["breaker:cloud"] == rollups.BREAKER_LEVELS["open"]


def test_while_redis_is_unreachable_the_events_are_lost_and_the_caller_carries_on(settings, caplog):
    reachable, settings.REDIS_URL = settings.REDIS_URL, "redis://127.0.0.1:1/0"  # no listener
    rollups.customer_message(sentiment="negative")  # buffered: the caller never waits
    rollups.flush()
    assert "rollups not recorded" in caplog.text
    settings.REDIS_URL = reachable
    assert this_minute().counts == {}  # lost with its flush, not written late


def test_events_are_summed_in_the_process_and_written_within_a_flush():
    for waiting in (4, 9, 6):
        rollups.record(counts={"sentiment:neutral": 1}, gauges={"waiting_human": waiting}, at=NOW)
    deadline = time.monotonic() + 10 * rollups.FLUSH_S
    key = rollups._key(rollups.minute_of(NOW))
    while not shared_redis().exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)  # no reader here: the process's own thread writes them
    assert shared_redis().hget(key, "sentiment:neutral") == b"3"
    assert shared_redis().hget(key, "last:waiting_human") == b"6"
    assert shared_redis().zscore(rollups._peak_key(rollups.minute_of(NOW)), "waiting_human") == 9


def test_the_24_hour_plot_bins_ten_minutes_and_carries_levels_forward():
    two_hours_ago = NOW - 2 * 3600
    rollups.record(counts={"reply:cache": 30, "sentiment:negative": 4}, at=two_hours_ago)
    rollups.record(counts={"reply:cache": 30}, at=two_hours_ago + 60)
    rollups.record(gauges={"breaker:local": 2}, at=two_hours_ago)
    rollups.record(gauges={"breaker:local": 0}, at=NOW - 3600)

    data = plot_data("24h", now=NOW)

    assert data["step_s"] == 600 and len(data["t"]) == 144
    index = data["t"].index(rollups.minute_of(two_hours_ago) // 600 * 600)
    replies = data["charts"]["replies"]["series"]["cache"]
    assert replies[index] == pytest.approx(60 / 600)  # two minutes' 60 replies over the bin
    assert sum(replies) == pytest.approx(replies[index])
    assert data["charts"]["sentiment"]["series"]["negative"][index] == pytest.approx(0.4)
    breaker = data["charts"]["breakers"]["series"]["local"]
    assert breaker[:index] == [None] * index  # unknown before its first sample
    assert set(breaker[index : index + 6]) == {2}  # open, and kept until it closed
    assert set(breaker[index + 6 :]) == {0}


def test_the_15_minute_plot_has_a_point_a_minute_the_newest_still_filling():
    rollups.record(counts={"reply:local": 6}, at=NOW)
    data = plot_data("15m", now=NOW + 30)  # half of the newest minute has passed
    assert len(data["t"]) == 15 and data["t"][-1] == rollups.minute_of(NOW)
    assert data["charts"]["replies"]["series"]["local"][-1] == pytest.approx(6 / 60)


def test_ttft_percentiles_interpolate_within_the_merged_histogram():
    counts = Counter({"ttft:100": 50, "ttft:1000": 50})  # 50 in (50, 100], 50 in (750, 1000]
    assert ttft_percentile(counts, 0.5) == pytest.approx(100)
    assert ttft_percentile(counts, 0.95) == pytest.approx(750 + 250 * 0.9)
    assert ttft_percentile(Counter(), 0.5) is None


@pytest.mark.parametrize(("ms", "bucket"), [(0, "25"), (25, "25"), (26, "50"), (99_999, "inf")])
def test_a_ttft_falls_in_the_bucket_that_bounds_it(ms, bucket):
    assert rollups.ttft_bucket(ms) == bucket


@pytest.mark.django_db
def test_the_line_and_a_workers_take_record_the_depth_and_the_wait():
    convo = Conversation.objects.create(session_key="rollup-line")
    reply = Message.objects.create(
        conversation=convo, role=Message.Role.ASSISTANT, status=Message.Status.PENDING
    )
    Message.objects.filter(id=reply.id).update(created_at=timezone.now() - timedelta(seconds=3))
    line_join(reply.id)
    assert this_minute().peaks["queue_depth"] == 1
    assert reply_claim(message_id=reply.id) is not None
    assert this_minute().peaks["queue_wait_ms"] >= 3000
    assert this_minute().last["queue_depth"] == 0  # it left the line


@pytest.mark.django_db
def test_a_customer_message_and_a_handoff_record_sentiment_and_who_waits(
    django_capture_on_commit_callbacks,
):
    convo = Conversation.objects.create(session_key="rollup-handoff")
    with django_capture_on_commit_callbacks(execute=True):
        message_post(conversation=convo, client_msg_id=uuid.uuid4(), text="Where is my parcel?")
    with django_capture_on_commit_callbacks(execute=True):
        handoff_request(conversation=convo)
    minute = this_minute()
    assert sum(n for name, n in minute.counts.items() if name.startswith("sentiment:")) == 1
    assert minute.counts["handoff:asked_for_human"] == 1
    assert minute.last["waiting_human"] == 1
