"""A scrape of /metrics or /healthz reads what it reports by name: it never scans the
Redis keyspace (SCAN or KEYS), however many keys Redis holds. Counted by the commands a
redis-server of the test's own has run (INFO commandstats)."""

from __future__ import annotations

import uuid

import pytest
import redis

from apps.inference import engine_stats

pytestmark = pytest.mark.django_db


def commands_run(server: redis.Redis) -> set[str]:
    return {name.removeprefix("cmdstat_") for name in server.info("commandstats")}


def test_a_scrape_reads_engines_by_name_and_scans_nothing(client, settings, private_redis):
    settings.REDIS_URL = private_redis.url
    settings.BREAKER_NAMESPACE = f"test:{uuid.uuid4().hex}:breaker"  # breakers on it too
    server = redis.Redis.from_url(private_redis.url)
    server.mset({f"someone-else:{n}": n for n in range(1000)})  # a keyspace worth scanning
    engine_stats.publish({"healthy": 1, "batched_steps": 7}, {})
    server.config_resetstat()

    metrics = client.get("/metrics").content.decode()
    health = client.get("/healthz").json()

    engine_lines = [line for line in metrics.splitlines() if 'figure="batched_steps"' in line]
    assert [line.split()[-1] for line in engine_lines] == ["7.0"]
    assert list(health["engines"].values()) == [True]
    seen = commands_run(server)
    assert "zrangebyscore" in seen  # the index of live engines was read, on this server
    assert not seen & {"scan", "keys"}, seen
