"""Small Naive Bayes fallback for messages in which the cue lexicon finds nothing.

Chinese complaints are often plain narratives with no sentiment word at all
(物流信息三天前就停了, 收到的衣服有一块污渍). The lexicon leaves those neutral; a character
n-gram Naive Bayes trained on ~800 hand-written shop-chat messages
(``apps/sentiment/data/fallback_train.jsonl``, see ``tests/sentiment/data/PROVENANCE.md``)
recognises the narrative shape. The tagger only consults it for statements with no cue,
and only trusts it past a log-odds margin, so a plain question stays neutral.

Trained in-process on first use (about 30 ms); no files are written, nothing is downloaded.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

TRAIN_PATH = Path(__file__).resolve().parent / "data" / "fallback_train.jsonl"
LABELS = ("negative", "neutral", "positive")

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z']+")
_DIGIT = re.compile(r"\d")


def features(normalized: str) -> set[str]:
    """Character 1-2-grams for Chinese, word 1-2-grams for English, plus a number flag.

    Expects text already passed through ``tagger.normalize`` (lower-cased, folded)."""
    feats: set[str] = set()
    for run in _CJK_RUN.findall(normalized):
        feats.update(run)
        feats.update(run[i : i + 2] for i in range(len(run) - 1))
    words = _WORD.findall(normalized)
    feats.update(words)
    feats.update(f"{a}_{b}" for a, b in pairwise(words))
    if _DIGIT.search(normalized):
        feats.add("<num>")
    return feats


@dataclass(frozen=True, slots=True)
class NaiveBayes:
    """Bernoulli-style counts (a feature counts once per message), Laplace-smoothed."""

    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    log_unseen: dict[str, float]

    @classmethod
    def train(cls, rows: list[tuple[str, str]]) -> NaiveBayes:
        """``rows`` are (normalized text, label) pairs."""
        counts: dict[str, Counter[str]] = {label: Counter() for label in LABELS}
        docs: Counter[str] = Counter()
        for text, label in rows:
            docs[label] += 1
            counts[label].update(features(text))
        vocab = set().union(*counts.values())
        total_docs = sum(docs.values())
        log_prior, log_likelihood, log_unseen = {}, {}, {}
        for label in LABELS:
            denominator = sum(counts[label].values()) + len(vocab)
            log_prior[label] = math.log((docs[label] + 1) / (total_docs + len(LABELS)))
            log_likelihood[label] = {
                f: math.log((c + 1) / denominator) for f, c in counts[label].items()
            }
            log_unseen[label] = math.log(1 / denominator)
        return cls(log_prior, log_likelihood, log_unseen)

    def scores(self, normalized: str) -> dict[str, float]:
        feats = [
            f for f in features(normalized) if any(f in ll for ll in self.log_likelihood.values())
        ]
        return {
            label: self.log_prior[label]
            + sum(self.log_likelihood[label].get(f, self.log_unseen[label]) for f in feats)
            for label in LABELS
        }

    def predict(self, normalized: str) -> tuple[str, float]:
        """Best label and its log-odds margin over "neutral" (0.0 when neutral wins)."""
        scores = self.scores(normalized)
        best = max(scores, key=scores.__getitem__)
        return best, scores[best] - scores["neutral"]


def load_rows(path: Path = TRAIN_PATH) -> list[tuple[str, str]]:
    from apps.sentiment.tagger import normalize  # local: tagger imports this module

    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [(normalize(row["text"]), row["label"]) for row in rows]


@cache
def default_model() -> NaiveBayes:
    return NaiveBayes.train(load_rows())
