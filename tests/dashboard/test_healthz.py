"""/healthz: 200 while Postgres, Redis and every local engine are up; 503 with the reason."""

from __future__ import annotations

import pytest

from apps.config.redis_client import shared_redis
from apps.inference import engine_stats
from apps.inference.backends.local_mlx import EngineConfig, LocalEngine
from apps.inference.base import BackendError

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_engine_reports():
    shared_redis().delete(engine_stats.this_process_key())
    yield
    shared_redis().delete(engine_stats.this_process_key())


def test_it_is_healthy_when_everything_answers(client, no_engine_reports):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_it_reports_a_worker_whose_engine_is_down(client, no_engine_reports, tmp_path):
    broken = LocalEngine(EngineConfig(model=str(tmp_path / "no-such-model"), publish_stats=True))
    with pytest.raises(BackendError):
        broken.warm_up()

    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert any("local engine down" in problem for problem in body["problems"])
