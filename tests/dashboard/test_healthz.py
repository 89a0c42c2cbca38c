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
    broken = LocalEngine(
        EngineConfig(models=(str(tmp_path / "no-such-model"),), publish_stats=True)
    )
    with pytest.raises(BackendError):
        broken.warm_up()

    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert any("local engine down" in problem for problem in body["problems"])


def test_a_remote_visitor_learns_only_whether_it_is_ok(client, no_engine_reports):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_a_visitor_relayed_by_a_proxy_on_this_host_is_not_local(client, no_engine_reports):
    response = client.get("/healthz", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.json() == {"ok": True}


def test_a_probe_on_this_host_gets_the_details(client, no_engine_reports):
    body = client.get("/healthz", REMOTE_ADDR="127.0.0.1").json()
    assert body["problems"] == [] and "engines" in body


def test_staff_get_the_details_from_anywhere(client, no_engine_reports, django_user_model):
    client.force_login(django_user_model.objects.create_user("sam", is_staff=True))
    body = client.get("/healthz", REMOTE_ADDR="203.0.113.5").json()
    assert body["problems"] == [] and "engines" in body
