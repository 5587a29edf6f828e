"""Query building and rank fusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.catalog import Catalog
from assistant.core.retrieval import fts_query, rrf, terms
from assistant.core.types import Chunk


def test_terms_drop_stopwords_and_duplicates() -> None:
    assert terms("What is the capital of the capital France?") == ["capital", "france"]


@pytest.mark.parametrize("query", [
    'what about "quotes"', "AND OR NOT NEAR", "c++ -flag *star", "col:umn (paren)", "^caret",
    "emoji 🙂 and ünïcödé", "",
])
def test_fts_query_never_breaks_sqlite(tmp_path: Path, query: str) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.ensure_file("/a.txt")
    cat.replace_chunks(fid, [Chunk(0, "some text about quotes and flags", 0, 30, None, "", "")],
                       "ab" * 8, 1, 1)
    cat.bm25(fts_query(query), 5)  # must not raise


def test_rrf_rewards_agreement() -> None:
    scores = rrf([["a", "b", "c"], ["b", "d"]], k=60)
    assert max(scores, key=scores.get) == "b"
    assert scores["a"] == pytest.approx(1 / 61)
