"""The spell-checker's cost per message is bounded: a number of searches per text and of
candidates per typo. Within those bounds it corrects as before."""

from __future__ import annotations

from apps.faq.spelling import MAX_CANDIDATES, MAX_SEARCHES_PER_TEXT, Speller


def test_one_text_searches_for_at_most_its_budget_of_words():
    correct = Speller(["shipping", "delivery"]).for_one_text()
    typos = [correct("shiping") for _ in range(MAX_SEARCHES_PER_TEXT + 5)]
    assert typos == ["shipping"] * MAX_SEARCHES_PER_TEXT + ["shiping"] * 5


def test_known_and_short_words_do_not_use_the_budget():
    correct = Speller(["shipping", "delivery"]).for_one_text()
    for _ in range(MAX_SEARCHES_PER_TEXT * 2):
        assert correct("delivery") == "delivery"
        assert correct("shp") == "shp"
    assert correct("shiping") == "shipping"


def test_each_text_gets_a_budget_of_its_own():
    speller = Speller(["shipping"])
    first = speller.for_one_text()
    for _ in range(MAX_SEARCHES_PER_TEXT):
        first("shiping")
    assert first("shiping") == "shiping"
    assert speller.for_one_text()("shiping") == "shipping"


def test_a_typo_with_more_neighbours_than_the_cap_still_gets_the_preferred_one():
    typo = "warrenty"
    neighbours = {typo[:i] + c + typo[i + 1 :] for i in range(1, 8) for c in "bcdfghkmpv"}
    neighbours.discard(typo)
    assert len(neighbours) > MAX_CANDIDATES
    speller = Speller([*neighbours, "warranty"], preferred=["warranty"])
    assert speller.correct(typo) == "warranty"
