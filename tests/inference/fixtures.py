"""Cloud and fallback fixtures, shared by tests/inference and tests/ops."""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path

import pytest
import redis
from django.core.management import call_command

from apps.faq import DEMO_CATALOG, retrieval
from tests.inference.servers import FaultyProxy, MlxServer, demo_model_dir
from tests.inference.smollm2 import import_smollm2


def demo_answer(faq_id: str) -> str:
    """The demo catalog's answer for one entry: what the FAQ route must say for it."""
    with DEMO_CATALOG.open(encoding="utf-8") as catalog:
        rows = (json.loads(line) for line in catalog if line.strip())
        return next(row["answer"] for row in rows if row["id"] == faq_id)


# Real retrieval matches "When will my refund arrive?" (and its paraphrases) to this entry.
REFUND_ANSWER = demo_answer("refund-time")


@pytest.fixture(scope="session")
def mlx_server(tmp_path_factory):
    """One server for the session; a test that stops it gets it restarted by ``cloud_server``."""
    workdir = tmp_path_factory.mktemp("mlx-server")
    server = MlxServer(demo_model_dir(workdir), workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smollm2_dir(tmp_path_factory):
    """The real model, imported from its packaged GGUF as `make model` does (float32).

    `make test` names the directory `make model` wrote in ``SMOLLM2_DIR``; a bare pytest run
    imports it afresh.
    """
    if os.environ.get("SMOLLM2_DIR"):
        return Path(os.environ["SMOLLM2_DIR"])
    return import_smollm2(tmp_path_factory.mktemp("smollm2") / "float32", "float32")


@pytest.fixture(scope="session")
def smollm2_server(smollm2_dir, tmp_path_factory):
    """``mlx_lm.server`` serving the real model, as the demo "cloud" of `make run`; one for
    the session (it loads 540 MB)."""
    server = MlxServer(smollm2_dir, tmp_path_factory.mktemp("smollm2-server"), openblas=True)
    server.start(timeout=300)
    yield server
    server.stop()


@pytest.fixture
def cloud_server(mlx_server, settings):
    """The running server, with the cloud backend pointed at it."""
    mlx_server.start()
    settings.CLOUD_BASE_URL = mlx_server.base_url
    return mlx_server


@pytest.fixture
def proxy_factory(settings):
    """Builds a FaultyProxy and points the cloud backend at it; closed after the test."""
    proxies: list[FaultyProxy] = []

    def make(target_port: int, **kwargs) -> FaultyProxy:
        proxy = FaultyProxy(target_port, **kwargs)
        proxies.append(proxy)
        settings.CLOUD_BASE_URL = proxy.base_url
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def fresh_breakers(settings):
    """Each test gets its own breaker namespace in the test Redis db, removed afterwards."""
    namespace = f"test:breaker:{uuid.uuid4().hex}"
    settings.BREAKER_NAMESPACE = namespace
    settings.BREAKER_FAIL_MAX = 2
    settings.BREAKER_RESET_TIMEOUT_S = 2
    settings.BREAKER_SUCCESS_THRESHOLD = 2
    yield namespace
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"*{namespace}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def empty_faq(db, own_answer_cache):
    """An FAQ with no entries; the FAQ route retrieves from the test database for real.

    The retrieval index is per process: it is dropped before and after, so it is built from
    this test's rows (under its own Redis prefix, from ``own_answer_cache``).
    """
    retrieval.reset()
    yield
    retrieval.reset()


@pytest.fixture
def demo_faq(empty_faq):
    """The demo FAQ catalog (``manage.py load_demo_faq``) in the test database, its index built
    as a worker builds it when it starts (loading the dense model is no reply's first token)."""
    call_command("load_demo_faq", stdout=io.StringIO())
    retrieval.warm_up()


@pytest.fixture
def own_answer_cache(settings):
    """Cached answers live in Redis past a test: each test gets keys of its own."""
    from apps.faq.redis_client import get_redis

    prefix = f"test:faq:{uuid.uuid4().hex[:12]}:"
    settings.FAQ_REDIS_PREFIX = prefix
    yield prefix
    keys = list(get_redis().scan_iter(match=prefix + "*"))
    if keys:
        get_redis().delete(*keys)
