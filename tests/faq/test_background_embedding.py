"""Imported and edited entries are embedded by a real background worker through a real
embeddings server, and every process's index is told when their vectors are stored."""

from __future__ import annotations

import io
import json
import os
import signal

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.config.queues import BACKGROUND_QUEUE
from apps.faq.embeddings import configured_embedder
from apps.faq.models import FaqEntry
from apps.faq.redis_client import get_redis, key
from apps.faq.selectors import faq_index_docs
from apps.faq.vectors import vectors_for
from tests.faq.embedding_server import MODEL
from tests.realtime import BrokerQueue
from tests.stack import stack_env, start_worker, stop_process, wait_until

pytestmark = pytest.mark.slow

CATALOG = [
    {"id": "ship-time", "question": "How long until my order ships?", "tags": ["shipping"]},
    {"id": "ship-time-zh", "question": "下单后多久发货?", "tags": ["发货"]},
    {"id": "returns", "question": "Can I return my shoes?", "tags": ["returns"]},
    {"id": "invoice", "question": "能开发票吗?", "tags": ["发票"]},
    {"id": "payment", "question": "How can I pay?", "tags": []},
]


@pytest.fixture(scope="module")
def background_worker(embedding_server, django_db_setup, django_db_blocker, tmp_path_factory):
    """A background-lane worker on this process's own queues (no key prefix), embedding
    through the real server."""
    queue = BrokerQueue(BACKGROUND_QUEUE)
    queue.clear()  # tasks earlier tests queued with no worker to take them
    with django_db_blocker.unblock():
        env = stack_env(
            CELERY_KEY_PREFIX="",
            EMBEDDINGS_BASE_URL=embedding_server.base_url,
            EMBEDDINGS_MODEL=MODEL,
            EMBEDDINGS_BATCH_SIZE="2",
            EMBEDDINGS_TIMEOUT_MS="60000",
        )
    worker = start_worker(tmp_path_factory.mktemp("embed") / "background.log", env,
                          queue=BACKGROUND_QUEUE, concurrency=1)  # fmt: skip
    yield worker
    stop_process(worker)
    queue.clear()


@pytest.fixture
def catalog(background_worker, stack_faq_keys, endpoint, transactional_db, write_file, capsys):
    """The catalog imported with ``--wait``: what the command printed, and the bar."""
    rows = (json.dumps({**row, "answer": "…", "lang": ""}, ensure_ascii=False) for row in CATALOG)
    out = io.StringIO()
    call_command("faq_import", str(write_file("shop.jsonl", "\n".join(rows))), "--wait", "120",
                 stdout=out)  # fmt: skip
    return out.getvalue(), capsys.readouterr().err


def index_version() -> int:
    return int(get_redis().get(key("index", "version")) or 0)


def embedded_at() -> dict[str, object]:
    return dict(FaqEntry.objects.values_list("external_id", "embedded_at"))


def test_an_import_is_embedded_in_the_background_with_its_progress_shown(catalog):
    printed, bar = catalog
    assert f"faq embedding (endpoint:{MODEL}): 5 of 5 embedded" in printed
    assert "faq embedding: 100%" in bar and "5/5" in bar
    vectors = vectors_for(faq_index_docs(), configured_embedder())
    assert vectors.shape == (5, 384)
    assert all(row.any() for row in vectors)


def test_an_edit_re_embeds_only_that_entry_and_tells_every_index(catalog, admin_client):
    before, version = embedded_at(), index_version()
    entry = FaqEntry.objects.get(external_id="payment")
    response = admin_client.post(
        reverse("admin:faq_faqentry_change", args=[entry.pk]),
        {"external_id": "payment", "question": "Can I pay with bitcoin?", "answer": "…",
         "language": "en", "tags": "payment", "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    wait_until(lambda: embedded_at()["payment"] != before["payment"])
    assert {k: v for k, v in embedded_at().items() if k != "payment"} == {
        k: v for k, v in before.items() if k != "payment"
    }
    # The save told every index once; the stored vector, once more.
    wait_until(lambda: index_version() == version + 2)
    assert all(row.any() for row in vectors_for(faq_index_docs(), configured_embedder()))


def test_a_worker_killed_mid_import_leaves_whole_batches_and_the_next_run_does_the_rest(
    background_worker, stack_faq_keys, endpoint, transactional_db, write_file
):
    """Last in this module: it kills the module's worker."""
    rows = [{"id": f"q{i}", "question": f"Question number {i}?", "answer": "…", "lang": "en"}
            for i in range(40)]  # fmt: skip
    path = write_file("big.jsonl", "\n".join(json.dumps(row) for row in rows))
    call_command("faq_import", str(path), "--no-progress", stdout=io.StringIO())
    stored = FaqEntry.objects.exclude(embedding=None)
    wait_until(lambda: stored.exists())
    os.killpg(background_worker.pid, signal.SIGKILL)  # no time to finish anything
    background_worker.wait()
    # Each batch (two entries here) was stored in one transaction or not at all.
    embedded = stored.count()
    assert embedded < 40 and embedded % 2 == 0

    out = io.StringIO()
    call_command("faq_embed", "--no-progress", stdout=out)
    assert f"{40 - embedded} embedded; 40 of 40 embedded, 0 waiting" in out.getvalue()
