"""An in-memory FAQ index: weighted unit overlap with IDF, scored as a confidence in [0, 1].

Plain Python on purpose: with short questions and about a thousand entries a dict of postings
answers in well under a millisecond, and the index is rebuilt from Postgres in tens of ms.

Score of an entry for a query = (IDF mass of the query's units that the entry has, each scaled by
where the entry has it: question > tags > answer) / (IDF mass of all the query's units), then
scaled a little by how much of the entry's own question the query covers. Units the catalog has
never seen count in the denominator as if they were rare: "pay with bitcoin" half-matches the
payment entry, so it stays under the threshold, which is the abstain rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from apps.config.languages import detect_language, has_han
from apps.faq import lexicon, text
from apps.faq.spelling import Speller

FIELD_WEIGHTS = {"question": 1.0, "tags": 0.4, "answer": 0.5}
EN_WORD_WEIGHT = 0.8  # a word the lexicon does not know: informative, but not a topic
ZH_WORD_WEIGHT = 0.6  # jieba leftovers are often colloquial filler
NUMBER_WEIGHT = 0.3  # numbers only add evidence; an unknown number is no reason to abstain
QUESTION_COVERAGE_SHARE = 0.5
# A word the catalog has never seen is often just colloquial filler ("roughly", "yesterday"),
# so it weighs less than a topic the lexicon knows the catalog lacks ("bitcoin", "weather").
UNKNOWN_WORD_FACTOR = 0.8
# Two entries in different languages whose concepts mostly agree are translations: when one of
# them wins, the one in the customer's language is answered (with the winner's score).
SIBLING_SIMILARITY = 0.45


@dataclass(frozen=True)
class IndexDoc:
    """What the index needs of one FAQ entry."""

    key: str  # the catalog id (FaqEntry.external_id)
    question: str
    answer: str
    language: str
    tags: Sequence[str] = ()
    pk: int | None = None


@dataclass(frozen=True)
class Scored:
    doc: IndexDoc
    score: float


@dataclass(frozen=True)
class _Postings:
    """The entries that have one unit: their positions, weights and a question-field mask."""

    docs: np.ndarray  # int32
    weights: np.ndarray  # float64: the best field weight the entry has the unit in
    in_question: np.ndarray  # float64: 1.0 where the unit is in the entry's question


@dataclass
class FaqIndex:
    docs: list[IndexDoc]
    postings: dict[str, _Postings]
    idf: dict[str, float]
    oov_idf: float
    question_mass: np.ndarray
    siblings: list[list[int]]
    speller: Speller
    version: object = None
    _empty: bool = field(default=False)

    @classmethod
    def build(cls, docs: Iterable[IndexDoc], version: object = None) -> FaqIndex:
        docs = list(docs)
        fields = [_doc_fields(doc) for doc in docs]
        idf, oov_idf = _idf(fields)
        lists: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        mass = np.zeros(len(docs))
        for i, doc_fields in enumerate(fields):
            for unit, weight in _unit_weights(doc_fields).items():
                lists[unit].append((i, weight, float(unit in doc_fields["question"])))
            mass[i] = sum(_unit_mass(u, idf, oov_idf) for u in doc_fields["question"])
        return cls(
            docs=docs,
            postings={unit: _as_arrays(found) for unit, found in lists.items()},
            idf=idf,
            oov_idf=oov_idf,
            question_mass=np.maximum(mass, 1e-9),
            siblings=_siblings(docs, fields),
            speller=_speller(docs),
            version=version,
            _empty=not docs,
        )

    def __len__(self) -> int:
        return len(self.docs)

    def rank(self, query: str, limit: int = 1, language: str | None = None) -> list[Scored]:
        """Best entries first, each with its confidence; empty when nothing overlaps.

        ``language`` defaults to the query's own (any Han character means Chinese).
        """
        if self._empty:
            return []
        units = set(text.analyze(query, corrector=self.speller.for_one_text()))
        denominator = sum(self._query_mass(u) for u in units if not u.startswith("n:"))
        if denominator <= 0:
            return []
        scores = self._scores(units, denominator)
        ranked = self._top(scores, limit + 1)
        ranked = self._prefer_language(ranked, scores, language or detect_language(query))
        return [Scored(self.docs[i], score) for score, i in ranked[:limit]]

    def _query_mass(self, unit: str) -> float:
        mass = _unit_mass(unit, self.idf, self.oov_idf)
        if unit.startswith("w:") and unit not in self.idf:
            mass *= UNKNOWN_WORD_FACTOR
        return mass

    def _scores(self, units: set[str], denominator: float) -> np.ndarray:
        """Confidence of every entry, vectorized: the cost barely grows with the catalog."""
        matched = np.zeros(len(self.docs))
        covered = np.zeros(len(self.docs))
        for unit in units:
            postings = self.postings.get(unit)
            if postings is None:
                continue
            mass = _unit_mass(unit, self.idf, self.oov_idf)
            matched[postings.docs] += mass * postings.weights
            covered[postings.docs] += mass * postings.in_question
        query_share = np.minimum(1.0, matched / denominator)
        question_share = np.minimum(1.0, covered / self.question_mass)
        share = QUESTION_COVERAGE_SHARE
        return np.round(np.minimum(1.0, query_share * (1 - share + share * question_share)), 4)

    def _top(self, scores: np.ndarray, count: int) -> list[tuple[float, int]]:
        count = min(count, len(scores))
        candidates = np.argpartition(-scores, count - 1)[:count]
        ranked = [(float(scores[i]), int(i)) for i in candidates if scores[i] > 0]
        ranked.sort(key=lambda pair: (-pair[0], self.docs[pair[1]].key))
        return ranked

    def _prefer_language(
        self, ranked: list[tuple[float, int]], scores: np.ndarray, language: str
    ) -> list[tuple[float, int]]:
        """Put the best entry's translation first, with its score, in the customer's language."""
        if not ranked or self.docs[ranked[0][1]].language == language:
            return ranked
        top_score, top = ranked[0]
        for i in self.siblings[top]:
            if self.docs[i].language == language:
                rest = [pair for pair in ranked if pair[1] != i]
                return [(top_score, i), *rest]
        return ranked


def _as_arrays(found: list[tuple[int, float, float]]) -> _Postings:
    docs, weights, in_question = zip(*found, strict=True)
    return _Postings(
        np.array(docs, dtype=np.int32), np.array(weights), np.array(in_question, dtype=float)
    )


def _siblings(docs: list[IndexDoc], fields: list[dict[str, set[str]]]) -> list[list[int]]:
    """Translations: each other's best concept overlap across languages, above a floor."""
    concepts = [{u for f in doc_fields.values() for u in f if u[0] == "c"} for doc_fields in fields]
    en = [i for i, d in enumerate(docs) if d.language == "en" and concepts[i]]
    zh = [i for i, d in enumerate(docs) if d.language == "zh" and concepts[i]]
    siblings: list[list[int]] = [[] for _ in docs]
    if not en or not zh:
        return siblings
    names = {c: k for k, c in enumerate(sorted(set().union(*concepts)))}
    matrix = np.zeros((len(docs), len(names)), dtype=np.float32)
    for i, found in enumerate(concepts):
        matrix[i, [names[c] for c in found]] = 1.0
    en_best, zh_best = _best_overlaps(matrix[en], matrix[zh])
    for row, (col, overlap) in enumerate(en_best):
        if overlap >= SIBLING_SIMILARITY and zh_best[col][0] == row:
            siblings[en[row]].append(zh[col])
            siblings[zh[col]].append(en[row])
    return siblings


def _best_overlaps(
    left: np.ndarray, right: np.ndarray, chunk: int = 512
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """For each row of each side, the other side's row with the highest Jaccard overlap."""
    right_sizes = right.sum(axis=1)
    left_best: list[tuple[int, float]] = []
    right_best = np.full(len(right), -1.0), np.zeros(len(right), dtype=np.int64)
    for start in range(0, len(left), chunk):
        block = left[start : start + chunk]
        shared = block @ right.T
        union = block.sum(axis=1)[:, None] + right_sizes[None, :] - shared
        jaccard = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
        cols = jaccard.argmax(axis=1)
        left_best.extend((int(c), float(jaccard[r, c])) for r, c in enumerate(cols))
        rows = jaccard.argmax(axis=0)
        better = jaccard[rows, np.arange(len(right))] > right_best[0]
        right_best[0][better] = jaccard[rows, np.arange(len(right))][better]
        right_best[1][better] = rows[better] + start
    return left_best, [(int(r), float(v)) for v, r in zip(*right_best, strict=True)]


def _doc_fields(doc: IndexDoc) -> dict[str, set[str]]:
    return {
        "question": set(text.analyze(doc.question)),
        "tags": set(text.analyze(" ".join(t.replace("-", " ") for t in doc.tags))),
        "answer": set(text.analyze(doc.answer)),
    }


def _unit_weights(doc_fields: dict[str, set[str]]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for name, units in doc_fields.items():
        for unit in units:
            weights[unit] = max(weights.get(unit, 0.0), FIELD_WEIGHTS[name])
    return weights


def _idf(fields: list[dict[str, set[str]]]) -> tuple[dict[str, float], float]:
    df: dict[str, int] = defaultdict(int)
    for doc_fields in fields:
        for unit in set().union(*doc_fields.values()):
            df[unit] += 1
    n = len(fields)

    def idf(count: int) -> float:
        return math.log(1 + (n - count + 0.5) / (count + 0.5))

    return {unit: idf(count) for unit, count in df.items()}, idf(1)


def _unit_mass(unit: str, idf: dict[str, float], oov_idf: float) -> float:
    return _kind_weight(unit) * idf.get(unit, oov_idf)


def _kind_weight(unit: str) -> float:
    kind, _, value = unit.partition(":")
    if kind == "c":
        return lexicon.CONCEPT_WEIGHTS.get(value, 1.0)
    if kind == "n":
        return NUMBER_WEIGHT
    return ZH_WORD_WEIGHT if has_han(value) else EN_WORD_WEIGHT


def _speller(docs: list[IndexDoc]) -> Speller:
    lex_words = text.compiled_lexicon().en_surface_words
    doc_words = {w for d in docs for w in text.normalize(f"{d.question} {d.answer}").split()}
    stopwords = lexicon.EN_HARD_STOPWORDS | lexicon.EN_SOFT_STOPWORDS | lexicon.EN_NEGATIONS
    return Speller(lex_words | doc_words | stopwords, preferred=lex_words)
