from __future__ import annotations

import pytest

from apps.faq import retrieval
from apps.faq.models import FaqEntry
from apps.faq.services import faq_entries_set_enabled, faq_entry_save

pytestmark = pytest.mark.django_db


def _best(text: str, **kwargs) -> str | None:
    found = retrieval.match(text, **kwargs)
    return found.faq_id if found else None


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("how long till my stuff gets here?", "ship-time"),
        ("is shipping free?", "ship-fee"),
        ("i want my money back, when do refunds arrive", "refund-time"),
        ("can i swap for a bigger size", "exchange"),
        ("do you accept paypal", "payment-methods"),
        ("多久能到货", "ship-time-zh"),
        ("优惠劵可以一起用吗", "coupon-stacking-zh"),
        ("积分怎么抵钱", "member-points-zh"),
    ],
)
def test_it_finds_paraphrases_in_both_languages(demo_catalog, text, faq_id):
    assert _best(text) == faq_id


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("can I get an invoice for my company?", "invoice"),
        ("any student discount?", "student-discount"),
        ("when will it be back in stock", "restock"),
        ("可以礼品包装吗", "gift-wrap"),
        ("忘记密码怎么办", "password-reset"),
    ],
)
def test_it_matches_across_languages(demo_catalog, text, faq_id):
    assert _best(text) == faq_id


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("shiping cost?", "ship-fee"),
        ("warrenty on shoes?", "warranty"),
        ("my refund 几天到账", "refund-time-zh"),
    ],
)
def test_it_tolerates_typos_and_mixed_language(demo_catalog, text, faq_id):
    assert _best(text) == faq_id


@pytest.mark.parametrize(
    "text",
    [
        "do you sell laptops",
        "what's the weather like",
        "do you have a physical store in Beijing",
        "你们有实体店吗",
        "你好",
        "讲个笑话",
        "",
    ],
)
def test_it_abstains_when_the_catalog_does_not_cover_it(demo_catalog, text):
    assert retrieval.match(text) is None


def test_a_match_carries_the_entry_and_a_bounded_score(demo_catalog):
    found = retrieval.match("how do i reset my password")
    entry = FaqEntry.objects.get(external_id="password-reset")
    assert (found.faq_id, found.entry_id, found.answer) == (
        entry.external_id,
        entry.pk,
        entry.answer,
    )
    assert 0.0 < found.score <= 1.0


def test_the_language_argument_picks_the_translation(demo_catalog):
    assert _best("refund", language="zh") == "refund-time-zh"
    assert _best("refund", language="en") == "refund-time"


def test_the_threshold_argument_overrides_the_setting(demo_catalog):
    assert retrieval.match("how long does delivery take", threshold=1.01) is None


def test_an_edit_is_seen_on_the_next_match(demo_catalog, django_capture_on_commit_callbacks):
    assert _best("do you sell laptops") is None
    entry = FaqEntry.objects.get(external_id="payment-methods")
    entry.question = "Do you sell laptops?"
    with django_capture_on_commit_callbacks(execute=True):
        faq_entry_save(entry=entry)
    assert _best("do you sell laptops") == "payment-methods"


def test_a_disabled_entry_is_not_matched(demo_catalog, django_capture_on_commit_callbacks):
    assert _best("do you offer gift wrapping") == "gift-wrap"
    with django_capture_on_commit_callbacks(execute=True):
        faq_entries_set_enabled(
            entries=FaqEntry.objects.filter(external_id="gift-wrap"), enabled=False
        )
    assert _best("do you offer gift wrapping") is None


def test_an_empty_catalog_matches_nothing(db):
    assert retrieval.match("how long does delivery take") is None
