"""Stored entry vectors: embedded by the background service through the real endpoint, read
back by ``vectors_for``; stale ones read as zero rows, and no failure leaves half a state."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from apps.faq import retrieval
from apps.faq.embeddings import EmbeddingUnavailable, configured_embedder
from apps.faq.models import FaqEntry
from apps.faq.selectors import faq_embedding_progress, faq_index_docs
from apps.faq.services import faq_entries_embed
from apps.faq.vectors import embedding_text, vectors_for
from tests.faq.embedding_server import DIMENSIONS

pytestmark = pytest.mark.django_db

QUESTIONS = [
    ("ship-time", "How long until my order ships?", ["shipping"]),
    ("ship-time-zh", "下单后多久发货?", ["发货"]),
    ("crypto", "Can I pay with bitcoin?", []),
    ("returns", "Can I return my shoes?", ["returns"]),
    ("invoice", "能开发票吗?", ["发票"]),
]


@pytest.fixture
def entries() -> list[FaqEntry]:
    return [
        FaqEntry.objects.create(
            external_id=key, question=question, answer="…", language="en", tags=tags
        )
        for key, question, tags in QUESTIONS
    ]


def embed_all() -> object:
    return faq_entries_embed(entry_ids=FaqEntry.objects.values_list("pk", flat=True))


class FailsAfter:
    """The endpoint dies after ``calls`` requests: the fault, injected at the embedder."""

    def __init__(self, calls: int) -> None:
        self.inner = configured_embedder()
        self.model_id = self.inner.model_id
        self.local = self.inner.local
        self.calls = calls

    def embed(self, texts):
        if self.calls == 0:
            raise EmbeddingUnavailable("embeddings endpoint failed: gone")
        self.calls -= 1
        return self.inner.embed(texts)


def test_stored_vectors_are_read_back_per_entry_and_the_index_is_told(endpoint, entries):
    version = retrieval.index_version()
    report = embed_all()
    assert (report.embedded, report.left, report.error) == (len(entries), 0, None)
    assert retrieval.index_version() != version

    embedder = configured_embedder()
    docs = faq_index_docs()
    stored = vectors_for(docs, embedder)
    assert stored.shape == (len(entries), DIMENSIONS)
    fresh = embedder.embed([embedding_text(doc) for doc in docs])
    np.testing.assert_allclose(stored, fresh, atol=1e-6)


def test_a_second_run_embeds_nothing(endpoint, entries):
    embed_all()
    embedded_at = dict(FaqEntry.objects.values_list("pk", "embedded_at"))
    report = embed_all()
    assert (report.embedded, report.already_current) == (0, len(entries))
    assert dict(FaqEntry.objects.values_list("pk", "embedded_at")) == embedded_at


def test_an_edited_or_other_models_vector_reads_as_a_zero_row(endpoint, entries, settings):
    embed_all()
    FaqEntry.objects.filter(external_id="crypto").update(question="Do you take crypto?")
    docs = faq_index_docs()
    stored = vectors_for(docs, configured_embedder())
    zero_rows = [doc.key for doc, row in zip(docs, stored, strict=True) if not row.any()]
    assert zero_rows == ["crypto"]
    assert str(faq_embedding_progress(model_id=configured_embedder().model_id)) == (
        "4 of 5 embedded, 1 waiting"
    )

    settings.EMBEDDINGS_MODEL = "another-model"  # nothing stored is this model's
    assert vectors_for(docs, configured_embedder()).shape == (len(entries), 0)


def test_a_run_cut_off_half_way_keeps_its_finished_batches_and_the_next_does_the_rest(
    endpoint, entries
):
    ids = list(FaqEntry.objects.values_list("pk", flat=True))
    report = faq_entries_embed(entry_ids=ids, embedder=FailsAfter(calls=1))
    assert (report.embedded, report.left) == (2, 3)  # one batch of two stored, then the fault
    assert "gone" in report.error
    assert FaqEntry.objects.exclude(embedding=None).count() == 2

    report = faq_entries_embed(entry_ids=ids)
    assert (report.embedded, report.already_current, report.left) == (3, 2, 0)


def test_a_dead_endpoint_leaves_entries_lexical_only(dead_endpoint, demo_catalog):
    report = embed_all()
    assert (report.embedded, report.left) == (0, 47)
    assert "embeddings endpoint failed" in report.error
    assert vectors_for(faq_index_docs(), configured_embedder()).shape == (47, 0)
    assert retrieval.match("How long does delivery take?").faq_id == "ship-time"


def test_faq_embed_embeds_what_waits_with_a_progress_bar(endpoint, entries, capsys):
    FaqEntry.objects.filter(pk=entries[0].pk).update(question="How soon do you ship?")
    out = io.StringIO()
    call_command("faq_embed", stdout=out)
    assert "5 embedded; 5 of 5 embedded, 0 waiting" in out.getvalue()
    assert "faq embed: 100%" in capsys.readouterr().err
    # An edit that skipped the services: only that entry waits.
    FaqEntry.objects.filter(pk=entries[0].pk).update(question="When do you ship?")
    call_command("faq_embed", "--no-progress", stdout=out)
    assert "1 embedded; 5 of 5 embedded" in out.getvalue()


def test_faq_embed_says_what_is_left_when_the_endpoint_is_dead(dead_endpoint, entries):
    with pytest.raises(CommandError, match="5 entries left lexical-only: embeddings endpoint"):
        call_command("faq_embed", "--no-progress", stdout=io.StringIO())


def test_the_admin_list_shows_how_far_embedding_has_come(endpoint, entries, admin_client):
    faq_entries_embed(entry_ids=[entries[0].pk, entries[1].pk])
    response = admin_client.get("/admin/faq/faqentry/")
    assert response.status_code == 200
    assert "Embeddings (endpoint:multilingual-e5-small): 2 of 5 embedded, 3 waiting." in (
        response.content.decode()
    )


def test_an_import_that_waits_for_embedding_gives_up_when_nothing_moves(endpoint, write_file):
    # No background worker runs here: nothing embeds the imported entry.
    path = write_file("one.jsonl", '{"id": "a", "question": "Q?", "answer": "A.", "lang": "en"}')
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"no progress for 0\.5s; the import is saved"):
        call_command("faq_import", str(path), "--wait", "0.5", "--no-progress", stdout=out)
    assert "0 of 1 embedded" in out.getvalue()
    assert FaqEntry.objects.filter(external_id="a").exists()


def test_an_import_refuses_a_wait_that_is_not_positive(write_file):
    path = write_file("one.jsonl", '{"id": "a", "question": "Q?", "answer": "A.", "lang": "en"}')
    with pytest.raises(CommandError, match="--wait takes a positive number of seconds"):
        call_command("faq_import", str(path), "--wait", "0", stdout=io.StringIO())
    assert not FaqEntry.objects.exists()
