"""Hybrid retrieval: dense (Chroma) and BM25 (FTS5) candidates, fused by their scores.

Each list's scores are scaled to 0..1 among its own candidates and the two are mixed with a
weight (``dense_weight``). Unlike reciprocal-rank fusion, a passage far ahead in one list
stays ahead: on the evaluation data rank fusion let the weaker (dense) list drag the
stronger one's best hit down. Ties are broken by chunk id, so the same index and query
always give the same passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from assistant.core.catalog import Catalog
from assistant.core.embedding import Embedder
from assistant.core.store import VectorStore
from assistant.core.text import STOPWORDS, detect_language, terms, writing_system
from assistant.core.types import Passage

__all__ = ["LEXICAL_BUDGET", "STOPWORDS", "Retriever", "fts_query", "fuse", "rrf", "terms"]

# Passages (postings) one keyword search may score before it splits its words by rarity:
# about 30 ms of FTS5's BM25 on this 2-core machine (see Retriever.keyword_search).
LEXICAL_BUDGET = 30_000

# The keyword search needs no query vector, so it runs beside the embedding and the dense
# search (SQLite releases the GIL while it ranks; each thread has its own connection).
_LEXICAL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="assistant-bm25")


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: any content word of the question (quoted, so never syntax)."""
    return fts_match(terms(text))


def fts_match(words: Sequence[str]) -> str:
    return " OR ".join(f'"{w}"' for w in words)


def rrf(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def fuse(dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]],
         dense_weight: float) -> dict[str, float]:
    """Score fusion: each list min-max scaled to 0..1, then mixed by ``dense_weight``."""
    scores: dict[str, float] = {}
    for ranking, weight in ((dense, dense_weight), (lexical, 1.0 - dense_weight)):
        if not ranking:
            continue
        values = [v for _, v in ranking]
        top, low = max(values), min(values)
        span = top - low
        for item, value in ranking:
            scaled = (value - low) / span if span > 1e-12 else 1.0
            scores[item] = scores.get(item, 0.0) + weight * scaled
    return scores


class Retriever:
    def __init__(self, catalog: Catalog, store: VectorStore, embedder: Embedder,
                 dense_k: int = 30, lexical_k: int = 30, dense_weight: float = 0.5,
                 lexical_budget: int = LEXICAL_BUDGET):
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.dense_k = dense_k
        self.lexical_k = lexical_k
        self.dense_weight = dense_weight
        self.lexical_budget = lexical_budget

    def keyword_search(self, query: str) -> list[tuple[str, float]]:
        """BM25 over the content words of ``query``.

        Words in over half the passages are left out (when others remain): BM25 gives them
        no weight (FTS5 clamps their IDF to 1e-6), yet FTS5 would score every passage that
        holds one. At 100k passages of Python code and docs, "type" (in 50% of them) made one
        search take 78 ms instead of 8.

        FTS5 scores every passage that holds any word of the query, about 1 µs each here.
        When the words' passages add up to more than ``lexical_budget``, the search is split
        by how rare the words are, as Lucene's common-terms query does: the rarest words
        whose passages fit the budget choose the passages, and every word scores them. Two
        queries do it, one for passages that also hold a common word and one for those that
        hold none, so each passage gets exactly the BM25 score the whole query would give it.
        What is left out is passages holding only the common words. At 1M passages of real
        text (200 eval questions from all three articles) this cut the keyword search's p95
        from about 400 ms to 57, with the same top 5 for 198 of the 200 questions and 98.8%
        of the same top 30; the fused search's top 5 held the answer for 153 of 201
        answerable questions against 154 unsplit. A budget of 40,000 gave 200/200 and 154
        at a p95 of 66 ms; 30,000 keeps the whole search under 100 ms with room to spare."""
        chosen, common = self.keyword_plan(query)
        if not common:
            return self.catalog.bm25(fts_match(chosen), self.lexical_k)
        rare, rest = fts_match(chosen), fts_match(common)
        return self.catalog.bm25([f"({rare}) AND ({rest})", f"({rare}) NOT ({rest})"],
                                 self.lexical_k)

    def keyword_plan(self, query: str) -> tuple[list[str], list[str]]:
        """The words that choose the passages to score, and the common words that only add
        to their scores (none when the search is not split)."""
        words = terms(query)
        if len(words) < 2:
            return words, []
        freq = self.catalog.doc_freqs(words)
        half = self.catalog.fts_rows() / 2
        words = [w for w in words if freq[w] <= half] or words
        words = [w for w in words if freq[w] > 0]  # matches nothing, scores nothing
        if len(words) < 2 or sum(freq[w] for w in words) <= self.lexical_budget:
            return words, []
        rare: list[str] = []
        postings = 0
        for w in sorted(words, key=lambda w: (freq[w], w)):
            if rare and postings + freq[w] > self.lexical_budget:
                break
            rare.append(w)
            postings += freq[w]
        return rare, [w for w in words if w not in rare]

    @staticmethod
    def _same_writing_system(query: str, lexical: list[tuple[str, float]],
                             known: dict[str, Passage]) -> list[tuple[str, float]]:
        """The keyword hits written in the question's script. A passage in another script
        shares only numbers and Latin names with the question, yet its BM25 score, scaled
        like any other, outweighed the meaning: XQuAD's English questions over its Chinese
        text found the right passage first for 30 of 51 with keyword hits, 36 without
        (dense alone: the same 36; Chinese questions over the same text: 50 either way).
        Such passages still come in through the vector search."""
        script = writing_system(detect_language(query))
        if script is None:
            return lexical
        return [(i, v) for i, v in lexical
                if writing_system(detect_language(known[i].text)) in (script, None)]

    def search(self, query: str, k: int) -> list[Passage]:
        if not self.catalog.has_chunks():  # nothing to find: don't load the embedder for it
            return []
        lexical_job = _LEXICAL.submit(self.keyword_search, query)
        try:
            vector = self.embedder.encode_query(query)
            dense = self.store.query(vector, self.dense_k)
        finally:
            wait([lexical_job])  # never left running on a catalog the caller may close
        lexical = lexical_job.result()
        known = self.catalog.passages(list({i for i, _ in dense} | {i for i, _ in lexical}))
        # Vectors the catalog doesn't know (left by an interrupted run) are never shown.
        dense = [(i, v) for i, v in dense if i in known]
        lexical = [(i, v) for i, v in lexical if i in known]
        lexical = self._same_writing_system(query, lexical, known)
        fused = fuse(dense, lexical, self.dense_weight)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        similarity = dict(dense)
        missing = [i for i in best if i not in similarity]
        if missing:
            for i, v in self.store.vectors(missing).items():
                similarity[i] = float(np.dot(v, vector))
        dense_rank = {i: r for r, (i, _) in enumerate(dense, start=1)}
        lexical_rank = {i: r for r, (i, _) in enumerate(lexical, start=1)}
        out = []
        for i in best:
            p = known[i]
            p.score = fused[i]
            p.similarity = similarity.get(i)
            p.dense_rank = dense_rank.get(i)
            p.lexical_rank = lexical_rank.get(i)
            out.append(p)
        return out
