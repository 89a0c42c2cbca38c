from __future__ import annotations

import pytest
from django.urls import reverse

from apps.faq import retrieval
from apps.faq.models import FaqEntry
from apps.faq.retrieval import FaqRetriever, index_version
from apps.faq.selectors import faq_fingerprint, faq_index_docs
from apps.faq.services import faq_entry_save

pytestmark = pytest.mark.django_db

QUESTION = "do you sell laptops"


def _top(retriever: FaqRetriever) -> str:
    return retriever.rank(QUESTION)[0].doc.key


def _process() -> FaqRetriever:
    """What another web or worker process holds: its own index over the same database."""
    retriever = FaqRetriever(load_docs=faq_index_docs, read_version=index_version)
    retriever.index()
    return retriever


def _edit_payment_entry() -> FaqEntry:
    entry = FaqEntry.objects.get(external_id="payment-methods")
    entry.question = "Do you sell laptops?"
    return entry


def test_every_process_sees_an_edit_on_its_next_match(
    demo_catalog, django_capture_on_commit_callbacks
):
    web, worker = _process(), _process()
    before = web.rank(QUESTION)[0].score
    with django_capture_on_commit_callbacks(execute=True):
        faq_entry_save(entry=_edit_payment_entry())
    assert _top(web) == _top(worker) == "payment-methods"
    assert web.rank(QUESTION)[0].score > before


def test_without_redis_the_database_fingerprint_keeps_the_index_fresh(demo_catalog, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert retrieval.match(QUESTION) is None
    _edit_payment_entry().save()  # even a write that skips the services
    assert retrieval.match(QUESTION).faq_id == "payment-methods"


def test_the_periodic_recheck_catches_writes_that_skip_the_services(demo_catalog, settings):
    retriever = FaqRetriever(
        load_docs=faq_index_docs,
        read_version=lambda: "fixed",
        fingerprint=faq_fingerprint,
        recheck_s=0,
    )
    assert retriever.rank(QUESTION)[0].score < settings.FAQ_MATCH_THRESHOLD
    _edit_payment_entry().save()
    assert retriever.rank(QUESTION)[0].score >= settings.FAQ_MATCH_THRESHOLD


def test_an_admin_edit_reaches_retrieval(
    demo_catalog, admin_client, django_capture_on_commit_callbacks
):
    entry = FaqEntry.objects.get(external_id="payment-methods")
    url = reverse("admin:faq_faqentry_change", args=[entry.pk])
    data = {
        "external_id": entry.external_id,
        "question": "Do you sell laptops?",
        "answer": entry.answer,
        "language": "en",
        "tags": "Payment, Crypto",
        "enabled": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302
    assert FaqEntry.objects.get(pk=entry.pk).tags == ["payment", "crypto"]
    assert retrieval.match(QUESTION).faq_id == "payment-methods"


def test_the_admin_list_filters_and_searches(demo_catalog, admin_client):
    url = reverse("admin:faq_faqentry_changelist")
    response = admin_client.get(url, {"tag": "invoice", "q": "发票"})
    assert response.status_code == 200
    assert b"invoice" in response.content
