"""Hybrid retrieval: dense (Chroma) and BM25 (FTS5) candidates fused by reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.core.catalog import Catalog
from assistant.core.embedding import Embedder
from assistant.core.store import VectorStore
from assistant.core.types import Passage

# Short English function words: they only add noise to a BM25 OR-query.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also many much one ones s t whose""".split()
)

_WORD = re.compile(r"\w+", re.UNICODE)


def terms(text: str) -> list[str]:
    """Content words of ``text``, lower-cased, in order, without duplicates."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if w not in STOPWORDS and w not in out and (len(w) > 1 or w.isdigit()):
            out.append(w)
    return out


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: any content word of the question (quoted, so never syntax)."""
    return " OR ".join(f'"{t}"' for t in terms(text))


def rrf(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


class Retriever:
    def __init__(self, catalog: Catalog, store: VectorStore, embedder: Embedder,
                 dense_k: int = 30, lexical_k: int = 30, rrf_k: int = 60):
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.dense_k = dense_k
        self.lexical_k = lexical_k
        self.rrf_k = rrf_k

    def search(self, query: str, k: int) -> list[Passage]:
        vector = self.embedder.encode([query])[0]
        dense = self.store.query(vector, self.dense_k)
        lexical = self.catalog.bm25(fts_query(query), self.lexical_k)
        known = self.catalog.passages(list({i for i, _ in dense} | {i for i, _ in lexical}))
        # Vectors the catalog doesn't know (left by an interrupted run) are never shown.
        dense_ids = [i for i, _ in dense if i in known]
        lexical_ids = [i for i, _ in lexical if i in known]
        fused = rrf([dense_ids, lexical_ids], self.rrf_k)
        best = sorted(fused, key=lambda i: fused[i], reverse=True)[:k]
        similarity = {i: s for i, s in dense}
        missing = [i for i in best if i not in similarity]
        if missing:
            for i, v in self.store.vectors(missing).items():
                similarity[i] = float(np.dot(v, vector))
        dense_rank = {i: r for r, i in enumerate(dense_ids, start=1)}
        lexical_rank = {i: r for r, i in enumerate(lexical_ids, start=1)}
        out = []
        for i in best:
            p = known[i]
            p.score = fused[i]
            p.similarity = similarity.get(i)
            p.dense_rank = dense_rank.get(i)
            p.lexical_rank = lexical_rank.get(i)
            out.append(p)
        return out
