"""Shared fixtures. The suite runs on real Postgres and real Redis (its own Redis db, chosen in
tests/settings.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from tests.stack import LiveStack, start_live_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread from then on, which async tests cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker, tmp_path_factory) -> LiveStack:
    """Daphne, a reply worker (threads pool, demo model) and a background worker on the
    test database: both lanes, as in production."""
    with django_db_blocker.unblock():
        # The demo model writes a whole answer in ~50 ms; finer coalescing keeps streaming
        # observable (several deltas per reply) whatever the machine's speed. The CSAT
        # sweep runs every second, so a test that makes a conversation idle sees it asked.
        stack = start_live_stack(
            tmp_path_factory.mktemp("stack"), background=True, REPLY_FLUSH_MS="10", CSAT_SWEEP_S="1"
        )
    yield stack
    stack.stop()


@pytest.fixture
def line():
    """An empty line of replies in the test Redis (the pytest process's own keys; each live
    stack has its own under its key prefix)."""
    from apps.config.redis_client import shared_redis

    client = shared_redis()
    keys = list(client.scan_iter("surgedesk:line:*"))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture
def chat(live_stack, transactional_db):
    """A new customer session's websocket client; closed after the test."""
    clients = []

    def open_client(**kwargs):
        client = live_stack.chat_client(**kwargs)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (it cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make beside it are still plain sync calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # The OpenBLAS preload is for MLX; Playwright's driver and Chromium must not inherit it.
    preload = os.environ.pop("LD_PRELOAD", None)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if preload is not None:
            os.environ["LD_PRELOAD"] = preload


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own, to stop and restart (never the machine's)."""
    from tests.faults import PrivateRedis

    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session", autouse=True)
def test_database_left_free(django_db_setup, django_db_blocker):
    """At the end, the connections this process's database threads kept (the consumers'
    pools, CONN_MAX_AGE) are ended, or the test database could not be dropped after it.
    Each xdist worker has a test database of its own, and its stacks have stopped by then."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def session_breaker_namespace():
    """Breaker state lives in Redis and outlives a run: each session (and the live stack's
    processes, which inherit this environment) gets a namespace of its own."""
    from django.test import override_settings

    namespace = f"test:{os.getpid()}:breaker"
    os.environ["BREAKER_NAMESPACE"] = namespace
    with override_settings(BREAKER_NAMESPACE=namespace):
        yield namespace


@pytest.fixture(autouse=True)
def empty_answer_cache():
    """Cached answers outlive a test (and a run) in Redis, and the live stack shares them:
    each test starts with none, so a repeated question reaches the route it tests."""
    from apps.faq.answer_cache import invalidate_all

    invalidate_all()
