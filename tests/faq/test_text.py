from __future__ import annotations

from apps.faq.spelling import Speller, edit_distance
from apps.faq.text import analyze, normalize, stem


def test_normalize_folds_width_case_and_punctuation():
    assert normalize("ＲＥＦＵＮＤ？！ don't") == "refund dont"


def test_the_stemmer_agrees_with_itself():
    assert stem("shipping") == stem("shipped") == stem("ships") == stem("ship")
    assert stem("arrived") == stem("arrives") == stem("arrive")
    assert stem("address") == stem("addresses")


def test_both_languages_meet_at_the_same_concept():
    assert "c:invoice" in analyze("can I get an invoice")
    assert "c:invoice" in analyze("能开发票吗")
    assert "c:refund" in analyze("退款多久到账") and "c:refund" in analyze("money back?")


def test_chinese_segmentation_prefers_the_reading_that_covers_most():
    assert analyze("退的钱几天到账") == ["c:refund", "c:time", "c:refund"]


def test_mixed_text_is_split_by_script():
    assert analyze("我的refund几天能到账") == ["c:refund", "c:time", "c:refund"]


def test_the_speller_fixes_close_typos_only():
    speller = Speller(["shipping", "warranty", "invoice"], preferred=["shipping"])
    assert speller.correct("shiping") == "shipping"
    assert speller.correct("warrenty") == "warranty"
    assert speller.correct("laptops") == "laptops"
    assert speller.correct("cat") == "cat"
    assert edit_distance("recieve", "receive") == 1
