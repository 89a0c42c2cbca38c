"""An in-memory hybrid FAQ index: BM25 over words and character n-grams, fused with dense
multilingual sentence vectors, scored as a confidence in [0, 1].

- Lexical: BM25 (``bm25s``) over each entry's units (``text.lexical_units``: lexicon concepts,
  English stems, jieba words, Chinese character bigrams) from its question, keywords, tags and
  answer. A query's BM25 score is divided by the IDF mass of its own units, so it reads as
  "how much of what was asked this entry holds". A word the catalog has never seen counts in
  that mass as if it were rare: "pay with bitcoin" half-matches payments, which is the point.
- Dense: the cosine between the query's vector and the entry's (``vectors.vectors_for``), which
  carries paraphrases and the other language where no word is shared.
- Fused: ``LEXICAL_SHARE`` of the first plus the rest of the second (rescaled above
  ``DENSE_FLOOR``, the cosine unrelated texts already reach). The weights and the abstain
  threshold (``FAQ_MATCH_THRESHOLD``) were chosen on the dev set, ``tests/faq/data/dev_shop``.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import numpy as np

from apps.config.languages import detect_language
from apps.faq import lexicon, text
from apps.faq.embeddings import Embedder, EmbeddingUnavailable, configured_embedder
from apps.faq.spelling import Speller
from apps.faq.vectors import vectors_for

logger = logging.getLogger(__name__)

LEXICAL_SHARE = 0.4
DENSE_FLOOR = 0.2
# A word the catalog has never seen is often colloquial filler ("roughly", "yesterday"), so it
# weighs less in the query's mass than a rare word the catalog has.
UNKNOWN_UNIT_FACTOR = 0.8
# Two entries in different languages that are each other's nearest vector, at least this
# close, and whose answers state the same figures, translate each other: when one wins, the
# one in the customer's language is answered.
SIBLING_SIMILARITY = 0.45
SIBLING_SHARED_FIGURES = 0.5
_FIGURE = re.compile(r"\d+")


@dataclass(frozen=True)
class IndexDoc:
    """What the index needs of one FAQ entry."""

    key: str  # the catalog id (FaqEntry.external_id)
    question: str
    answer: str
    language: str
    tags: Sequence[str] = ()
    pk: int | None = None
    keywords: Sequence[str] = ()  # the shop's own synonyms for the question


@dataclass(frozen=True)
class Scored:
    doc: IndexDoc
    score: float


@dataclass(frozen=True)
class _Lexical:
    """BM25 over the entries' units, with the IDF the query's own mass is measured in."""

    bm25: bm25s.BM25
    idf: dict[str, float]
    oov_idf: float

    def scores(self, units: set[str]) -> np.ndarray | None:
        """Per entry, BM25 over the query's IDF mass, capped at 1; None for no content."""
        mass = sum(self._mass(u) for u in units if not u.startswith("n:"))
        if mass <= 0:
            return None
        known = [u for u in units if u in self.idf]
        if not known:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return np.minimum(1.0, self.bm25.get_scores(known) / mass)

    def _mass(self, unit: str) -> float:
        return self.idf.get(unit, self.oov_idf * UNKNOWN_UNIT_FACTOR)


@dataclass
class FaqIndex:
    docs: list[IndexDoc]
    lexical: _Lexical | None
    vectors: np.ndarray
    siblings: list[list[int]]
    speller: Speller
    embedder: Embedder
    version: object = None

    @classmethod
    def build(
        cls, docs: Iterable[IndexDoc], version: object = None, embedder: Embedder | None = None
    ) -> FaqIndex:
        docs = list(docs)
        embedder = embedder or configured_embedder()
        vectors = vectors_for(docs, embedder)
        return cls(
            docs=docs,
            lexical=_lexical([_doc_units(doc) for doc in docs]) if docs else None,
            vectors=vectors,
            siblings=_siblings(docs, vectors),
            speller=_speller(docs),
            embedder=embedder,
            version=version,
        )

    def __len__(self) -> int:
        return len(self.docs)

    def rank(self, query: str, limit: int = 1, language: str | None = None) -> list[Scored]:
        """Best entries first, each with its confidence; empty when nothing is asked.

        ``language`` defaults to the query's own (any Han character means Chinese).
        """
        if self.lexical is None or not query.strip():
            return []
        units = set(text.lexical_units(query, corrector=self.speller.for_one_text()))
        lexical = self.lexical.scores(units)
        if lexical is None:
            return []
        scores = np.round(fuse(lexical, self.dense_scores(query)), 4)
        ranked = self._top(scores, limit + 1)
        ranked = self._prefer_language(ranked, language or detect_language(query))
        return [Scored(self.docs[i], score) for score, i in ranked[:limit]]

    def dense_scores(self, query: str) -> np.ndarray:
        """The cosine of the query with every entry; zeros (lexical only) while there are
        no entry vectors or the query's cannot be had (an endpoint down)."""
        if self.vectors.shape[1] == 0:
            return np.zeros(len(self.docs), dtype=np.float32)
        try:
            query_vector = self.embedder.embed([query])[0]
        except EmbeddingUnavailable:
            logger.warning("FAQ match without its dense side: the embedder is unavailable")
            return np.zeros(len(self.docs), dtype=np.float32)
        if query_vector.shape != self.vectors.shape[1:]:  # another model's vectors
            return np.zeros(len(self.docs), dtype=np.float32)
        # einsum, not BLAS: a threaded BLAS matvec waits for a second core that a busy box
        # does not have (24 ms wall for 1,000 rows here, against well under 1 ms).
        return np.einsum("ij,j->i", self.vectors, query_vector)

    def _top(self, scores: np.ndarray, count: int) -> list[tuple[float, int]]:
        count = min(count, len(scores))
        candidates = np.argpartition(-scores, count - 1)[:count]
        ranked = [(float(scores[i]), int(i)) for i in candidates if scores[i] > 0]
        ranked.sort(key=lambda pair: (-pair[0], self.docs[pair[1]].key))
        return ranked

    def _prefer_language(
        self, ranked: list[tuple[float, int]], language: str
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


def fuse(lexical: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """The blend of the two sides, in [0, 1]."""
    dense = np.clip((cosine - DENSE_FLOOR) / (1 - DENSE_FLOOR), 0.0, 1.0)
    return LEXICAL_SHARE * lexical + (1 - LEXICAL_SHARE) * dense


def _doc_units(doc: IndexDoc) -> list[str]:
    tags = " ".join(t.replace("-", " ") for t in doc.tags)
    fields = (doc.question, " ".join(doc.keywords), tags, doc.answer)
    return [unit for field in fields for unit in _field_units(field)]


@lru_cache(maxsize=50_000)
def _field_units(field: str) -> tuple[str, ...]:
    """Kept per process: a rebuild after an edit analyses only the text that changed."""
    return tuple(text.lexical_units(field))


def _lexical(units: list[list[str]]) -> _Lexical:
    bm25 = bm25s.BM25()
    bm25.index(units, show_progress=False)
    df = Counter(unit for doc_units in units for unit in set(doc_units))
    n = len(units)

    def idf(count: int) -> float:  # BM25's own (Lucene's) IDF
        return math.log(1 + (n - count + 0.5) / (count + 0.5))

    return _Lexical(bm25, {unit: idf(count) for unit, count in df.items()}, idf(1))


def _siblings(docs: list[IndexDoc], vectors: np.ndarray) -> list[list[int]]:
    """Translations: across languages, each other's nearest vector, above a floor."""
    siblings: list[list[int]] = [[] for _ in docs]
    en = [i for i, d in enumerate(docs) if d.language == "en"]
    zh = [i for i, d in enumerate(docs) if d.language == "zh"]
    if not en or not zh:
        return siblings
    similarity = vectors[en] @ vectors[zh].T
    en_best, zh_best = similarity.argmax(axis=1), similarity.argmax(axis=0)
    for row, col in enumerate(en_best):
        mutual = zh_best[col] == row and similarity[row, col] >= SIBLING_SIMILARITY
        if mutual and _same_figures(docs[en[row]].answer, docs[zh[col]].answer):
            siblings[en[row]].append(zh[col])
            siblings[zh[col]].append(en[row])
    return siblings


def _same_figures(answer: str, other: str) -> bool:
    """A translation states the same numbers (days, prices); two neighbouring topics rarely do."""
    mine, theirs = set(_FIGURE.findall(answer)), set(_FIGURE.findall(other))
    if not mine and not theirs:
        return True
    return len(mine & theirs) / len(mine | theirs) >= SIBLING_SHARED_FIGURES


def _speller(docs: list[IndexDoc]) -> Speller:
    lex_words = text.compiled_lexicon().en_surface_words
    doc_words = {
        w
        for d in docs
        for w in text.normalize(f"{d.question} {' '.join(d.keywords)} {d.answer}").split()
    }
    stopwords = lexicon.EN_HARD_STOPWORDS | lexicon.EN_SOFT_STOPWORDS | lexicon.EN_NEGATIONS
    return Speller(lex_words | doc_words | stopwords, preferred=lex_words)
