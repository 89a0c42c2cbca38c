"""Held-out evaluation: greedy replies must carry the entry's key fact in the asker's language."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from pathlib import Path

from apps.demo_model.data import QA, Corpus, detect_lang, load_corpus
from apps.inference.prompts import Turn, build_messages

# "as_served" runs only when evaluate_model is given references_for.
MODES = ("question_only", "multi_turn", "with_reference", "as_served")


def is_correct(reply: str, qa: QA, key_facts: dict[str, list[str]]) -> bool:
    if qa.faq_id is None:  # small talk has no fact to check
        return False
    has_fact = any(fact in reply for fact in key_facts[qa.faq_id])
    return has_fact and detect_lang(reply) == qa.lang


def _score(results: list[tuple[QA, str, bool]]) -> dict:
    def figures(rows: list) -> dict:
        correct = sum(ok for _, _, ok in rows)
        total = len(rows)
        return {"correct": correct, "total": total, "pct": round(100 * correct / max(total, 1), 1)}

    return {
        **figures(results),
        "by_lang": {
            lang: figures([r for r in results if r[0].lang == lang]) for lang in ("en", "zh")
        },
        "failures": [
            {"question": qa.question, "reply": reply} for qa, reply, ok in results if not ok
        ],
    }


def _reply(model, tokenizer, messages: list[dict[str, str]], max_tokens: int) -> str:
    from mlx_lm import generate  # greedy: no sampler means argmax

    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    return generate(model, tokenizer, prompt, max_tokens=max_tokens).strip()


def _context(corpus: Corpus, rng: random.Random, qa: QA) -> list[Turn]:
    """An unrelated earlier exchange in the same language, so the LAST question must be answered."""
    other = rng.choice([t for t in corpus.train if t.lang == qa.lang and t.faq_id != qa.faq_id])
    return [Turn("user", other.question), Turn("assistant", other.answer)]


def evaluate_model(
    model_dir: Path,
    corpus: Corpus | None = None,
    *,
    max_tokens: int = 64,
    seed: int = 0,
    modes: Collection[str] = MODES,
    references_for: Callable[[str], list[str]] | None = None,
) -> dict:
    """Scores on the held-out paraphrases: question only, after a prior turn, grounded in
    the right catalog answer, and (with ``references_for``) grounded as the app serves it:
    in whatever the FAQ retrieves for the question, right, wrong or nothing. ``modes``
    picks some of them."""
    from mlx_lm import load

    corpus = corpus or load_corpus()
    loaded = load(str(model_dir))  # (model, tokenizer), typed as maybe with a config
    model, tokenizer = loaded[0], loaded[1]
    rng = random.Random(seed)
    prompts = {
        "question_only": lambda qa: build_messages([Turn("user", qa.question)]),
        "multi_turn": lambda qa: build_messages(
            [*_context(corpus, rng, qa), Turn("user", qa.question)]
        ),
        "with_reference": lambda qa: build_messages(
            [Turn("user", qa.question)], [corpus.catalog[qa.faq_id]["answer"]]
        ),
    }
    if references_for is not None:
        prompts["as_served"] = lambda qa: build_messages(
            [Turn("user", qa.question)], references_for(qa.question)
        )
    report = {}
    for mode, messages_for in prompts.items():
        if mode not in modes:
            continue
        results = []
        for qa in corpus.heldout:
            reply = _reply(model, tokenizer, messages_for(qa), max_tokens)
            results.append((qa, reply, is_correct(reply, qa, corpus.key_facts)))
        report[mode] = _score(results)
    return report
