"""The hybrid method: the dense side finds what shares no word, keywords are matched like the
question, an index rebuild embeds only what changed, and near misses are refused.

The shop is the dev set's (``tests/faq/data/dev_shop``), the one the method was tuned on.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from apps.faq import text, vectors
from apps.faq.embeddings import configured_embedder
from apps.faq.index import FaqIndex
from apps.faq.models import FaqEntry
from apps.faq.retrieval import match
from apps.faq.services import faq_entry_save
from tests.bench.faq import load_catalog
from tests.faq.conftest import DATA

DEV_CATALOG = DATA / "dev_shop" / "catalog.jsonl"


@pytest.fixture(scope="module")
def pet_shop() -> FaqIndex:
    return FaqIndex.build(load_catalog(DEV_CATALOG))


def _lexical_best(index: FaqIndex, query: str) -> str:
    units = set(text.lexical_units(query, corrector=index.speller.for_one_text()))
    scores = index.lexical.scores(units) if index.lexical else None
    assert scores is not None
    return index.docs[int(scores.argmax())].key


def test_an_english_question_finds_a_chinese_only_entry_through_the_dense_side(pet_shop):
    question = "can i flush your tofu cat litter down the toilet"  # 豆腐猫砂可以冲马桶吗？
    assert _lexical_best(pet_shop, question) != "litter-flush"
    assert pet_shop.rank(question)[0].doc.key == "litter-flush"


def test_a_translation_twin_is_answered_in_the_customers_language(pet_shop):
    assert pet_shop.rank("定期购可以取消吗")[0].doc.key == "autoship-zh"
    assert pet_shop.rank("定期购可以取消吗", language="en")[0].doc.key == "autoship"


@pytest.mark.parametrize(
    "question",
    [
        "can I transfer my points to my sister's account?",
        "do you price match other shops",
        "有没有线下门店可以自提",
        "猫能吃巧克力吗",
    ],
)
def test_near_misses_stay_under_the_threshold(pet_shop, settings, question):
    best = pet_shop.rank(question)
    assert not best or best[0].score < settings.FAQ_MATCH_THRESHOLD


def test_a_rebuild_embeds_only_the_entries_whose_text_changed(pet_shop):
    docs = list(pet_shop.docs)
    docs[0] = replace(docs[0], answer=docs[0].answer + " Sundays too.")
    embedded: list[str] = []
    embedder = configured_embedder()

    class Counting:  # the real model, counted at its one chokepoint
        model_id = embedder.model_id
        local = embedder.local

        def embed(self, texts):
            embedded.extend(texts)
            return embedder.embed(texts)

    rebuilt = vectors.vectors_for(docs, Counting())
    assert embedded == [vectors.embedding_text(docs[0])]
    assert rebuilt.shape == pet_shop.vectors.shape


@pytest.mark.django_db
def test_an_entrys_keywords_change_what_it_matches(
    demo_catalog, django_capture_on_commit_callbacks
):
    question = "do you do teamwear"
    assert match(question) is None
    entry = FaqEntry.objects.get(external_id="bulk-orders")
    entry.keywords = ["Teamwear", "团服"]
    with django_capture_on_commit_callbacks(execute=True):
        faq_entry_save(entry=entry)
    assert FaqEntry.objects.get(pk=entry.pk).keywords == ["teamwear", "团服"]
    assert match(question).faq_id == "bulk-orders"
