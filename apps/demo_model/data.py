"""The demo corpus (catalog, paraphrases, answers, small talk, dialogues) and training samples."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from apps.demo_model import CORPUS_DIR
from apps.faq import DEMO_CATALOG
from apps.inference.prompts import Turn, build_messages, system_prompt

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def detect_lang(text: str) -> str:
    """ "zh" if the text has any Chinese character, else "en" (good enough for short replies)."""
    return "zh" if _CJK_RE.search(text) else "en"


@dataclass(frozen=True)
class QA:
    """One user question and the reply the model should give."""

    question: str
    lang: str
    answer: str
    faq_id: str | None = None


@dataclass(frozen=True)
class Corpus:
    catalog: dict[str, dict]
    answers: dict[tuple[str, str], str]  # (faq_id, lang) -> answer in that language
    key_facts: dict[str, list[str]]
    train: list[QA]  # train paraphrases + catalog questions
    heldout: list[QA]
    smalltalk: list[QA]
    dialogues: list[list[tuple[str, str]]]  # (role, text) turns

    def all_texts(self) -> list[str]:
        """Texts the tokenizer may learn from (held-out questions excluded on purpose)."""
        texts = [system_prompt(), *self.answers.values()]
        texts += [qa.question for qa in self.train + self.smalltalk]
        texts += [qa.answer for qa in self.smalltalk]
        texts += [text for dialogue in self.dialogues for _, text in dialogue]
        return texts


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_corpus(corpus_dir: Path = CORPUS_DIR, catalog_path: Path = DEMO_CATALOG) -> Corpus:
    catalog = {row["id"]: row for row in _read_jsonl(catalog_path)}
    answers = {
        (r["faq_id"], r["lang"]): r["text"] for r in _read_jsonl(corpus_dir / "answers.jsonl")
    }
    key_facts = json.loads((corpus_dir / "key_facts.json").read_text(encoding="utf-8"))
    train: list[QA] = []
    heldout: list[QA] = []
    for row in _read_jsonl(corpus_dir / "paraphrases.jsonl"):
        qa = QA(row["text"], row["lang"], answers[(row["faq_id"], row["lang"])], row["faq_id"])
        (heldout if row["split"] == "heldout" else train).append(qa)
    # The canonical catalog questions are training material too.
    train += [QA(e["question"], e["lang"], e["answer"], e["id"]) for e in catalog.values()]
    smalltalk = [
        QA(r["text"], r["lang"], r["reply"]) for r in _read_jsonl(corpus_dir / "smalltalk.jsonl")
    ]
    dialogues = [
        [(t["role"], t["text"]) for t in r["turns"]]
        for r in _read_jsonl(corpus_dir / "dialogues.jsonl")
    ]
    return Corpus(catalog, answers, key_facts, train, heldout, smalltalk, dialogues)


_OPENERS = {
    "en": ["hi, ", "hello ", "hey ", "excuse me, ", "quick question: ", "pls "],
    "zh": ["你好，", "请问", "亲，", "麻烦问下，", "在吗，", "hi "],
}
# Topic-neutral context, so the model learns to find the few words that matter.
_CONTEXT = {
    "en": [
        "sorry to bother you, ",
        "I have a question. ",
        "I ordered a dress last week. ",
        "this is my first order. ",
        "my friend told me about your shop. ",
    ],
    "zh": [
        "打扰一下，",
        "我想问一下，",
        "我上周买了一件衣服，",
        "第一次在你们家买，",
        "朋友推荐来的，",
    ],
}
_TAILS = {
    "en": [
        ", thanks in advance",
        ". it's for my mom",
        ", I'm a bit worried",
        ". need to know asap",
    ],
    "zh": ["，急", "，谢谢啦", "，麻烦尽快回复", "，是给我妈买的"],
}
_CLOSERS = {
    "en": ["?", " ?", " pls", " please", " thanks", "!!"],
    "zh": ["？", "?", "呢", "啊", "呀", "，谢谢"],
}


def _typo(text: str, rng: random.Random) -> str:
    """Drop, double or swap one letter, the way people type on phones."""
    spots = [i for i, ch in enumerate(text[:-1]) if ch.isalpha() and text[i + 1].isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[: i + 1] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def noisy(qa: QA, rng: random.Random) -> QA:
    """A randomly dressed-up copy of a question (greeting, filler, casing, typo)."""
    text = qa.question
    if rng.random() < 0.35:
        text = rng.choice(_OPENERS[qa.lang] + _CONTEXT[qa.lang]) + text
    if rng.random() < 0.35:
        text = text.rstrip("?？") + rng.choice(_CLOSERS[qa.lang] + _TAILS[qa.lang])
    if qa.lang == "en":
        if rng.random() < 0.3:
            text = text.lower() if rng.random() < 0.5 else text.capitalize()
        if rng.random() < 0.3:
            text = _typo(text, rng)
    return QA(text, qa.lang, qa.answer, qa.faq_id)


def conversation(history: list[QA], last: QA, reference: str | None = None) -> list[dict[str, str]]:
    """Messages exactly as the app builds them, followed by the target assistant reply."""
    turns: list[Turn] = []
    for qa in history:
        turns += [Turn("user", qa.question), Turn("assistant", qa.answer)]
    turns.append(Turn("user", last.question))
    references = [reference] if reference is not None else []
    return [*build_messages(turns, references), {"role": "assistant", "content": last.answer}]


def _history(rng: random.Random, pool: list[QA], lang: str) -> list[QA]:
    """One or two earlier exchanges, mostly in the same language as the last question."""
    picks = []
    for _ in range(rng.choice((1, 1, 2))):
        want = lang if rng.random() < 0.8 else ("en" if lang == "zh" else "zh")
        candidates = [qa for qa in rng.sample(pool, 8) if qa.lang == want] or pool
        picks.append(rng.choice(candidates))
    return picks


Messages = list[dict[str, str]]


def epoch_samples(
    corpus: Corpus, rng: random.Random, reference_rate: float = 0.15
) -> list[Messages]:
    """One shuffled epoch of message lists: single-turn, multi-turn, grounded and dialogues."""
    singles = corpus.train + corpus.smalltalk
    samples = [conversation([], qa) for qa in singles]
    # Each FAQ question appears a second time with noise: robustness to unseen wording.
    samples += [conversation([], noisy(qa, rng)) for qa in corpus.train]
    # The app may put the retrieved catalog answer in the system prompt; teach it to agree.
    samples += [
        conversation([], qa, corpus.catalog[qa.faq_id]["answer"])
        for qa in corpus.train
        if qa.faq_id is not None and rng.random() < reference_rate  # train QAs all have one
    ]
    # Follow-up questions: the previous turns are context, the LAST question is answered.
    samples += [
        conversation(_history(rng, singles, qa.lang), noisy(qa, rng))
        for qa in rng.sample(corpus.train, len(corpus.train) // 4)
    ]
    samples += [_dialogue_messages(d) for d in corpus.dialogues for _ in range(2)]
    rng.shuffle(samples)
    return samples


def _dialogue_messages(dialogue: list[tuple[str, str]]) -> Messages:
    turns = [Turn(role, text) for role, text in dialogue]  # type: ignore[arg-type]
    *context, last = turns
    return [*build_messages(context), {"role": last.role, "content": last.text}]
