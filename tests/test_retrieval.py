"""Query building and rank fusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.catalog import Catalog
from assistant.core.retrieval import fts_query, rrf, terms
from assistant.core.types import Chunk


def test_terms_drop_stopwords_and_duplicates() -> None:
    # Terms are what the full-text index holds: Snowball stems ("capital" is "capit").
    assert terms("What is the capital of the capital France?") == ["capit", "franc"]


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


def test_keyword_search_leaves_out_words_in_over_half_the_passages(tmp_path: Path) -> None:
    """A word in most passages has no BM25 weight; leaving it out of the search (which then
    scores far fewer passages) ranks the others exactly as before."""
    from assistant.core.retrieval import Retriever

    cat = Catalog(tmp_path / "c.sqlite3")
    texts = [f"The river flows past mill number {i} in the valley." for i in range(8)]
    texts += ["A stone bridge crosses the river near the mill.",
              "The old bridge was rebuilt after the flood.",
              "Bridges and bridge tolls were common in the county."]
    fid = cat.ensure_file("/notes.txt")
    cat.replace_chunks(fid, [Chunk(i, t, 0, len(t), None, "", "") for i, t in enumerate(texts)],
                       "cd" * 8, 1, 1)
    retriever = Retriever(cat, store=None, embedder=None)  # type: ignore[arg-type]
    full = cat.bm25(fts_query("river bridge"), 30)
    assert len(full) == 11  # every passage holds "river" or "bridge"
    kept = retriever.keyword_search("river bridge")
    assert len(kept) == 3  # only the passages holding "bridge" were scored
    assert [round(s, 4) for _, s in kept] == [round(s, 4) for _, s in full[:3]]
    assert {i for i, _ in kept} == {i for i, _ in full[:3]}
    # A question of common words only keeps them: there is nothing else to search for.
    assert len(retriever.keyword_search("river valley")) == 9
    cat.close()


def _zipf_catalog(path: Path, passages: int, seed: int) -> tuple[Catalog, list[str]]:
    """Passages of words drawn with Zipf-like frequencies (a few words in most passages, most
    words in few), some with a heading context, as real text has them."""
    import random

    rng = random.Random(seed)
    vocab = [f"w{i}x" for i in range(400)] + ["foo_bar", "e-mail"]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    cat = Catalog(path)
    texts = [" ".join(rng.choices(vocab, weights, k=rng.randint(5, 60))) for _ in range(passages)]
    for start in range(0, passages, 50):
        fid = cat.ensure_file(f"/notes/{start}.txt")
        cat.replace_chunks(fid, [Chunk(i, t, 0, len(t), None, "",
                                       t[:30] if i % 3 == 0 else "")
                                 for i, t in enumerate(texts[start:start + 50])],
                           f"{start:04d}" * 4, 1, 1)
    return cat, vocab


def test_a_split_keyword_search_scores_every_passage_as_the_whole_query_would(
        tmp_path: Path) -> None:
    """Over the budget, the rarest words choose the passages and every word scores them: the
    ranking equals the whole query's ranking of the passages that hold a chosen word, with
    the same BM25 scores. Only passages holding common words alone are left out."""
    import random

    from assistant.core.retrieval import Retriever, fts_match

    cat, vocab = _zipf_catalog(tmp_path / "c.sqlite3", 600, seed=7)
    retriever = Retriever(cat, store=None, embedder=None, lexical_k=20,  # type: ignore[arg-type]
                          lexical_budget=150)
    rng = random.Random(11)
    split = 0
    for _ in range(60):
        query = " ".join(rng.sample(vocab[:120], rng.randint(2, 6)) + ["foo_bar"] * (
            rng.random() < 0.2))
        chosen, common = retriever.keyword_plan(query)
        got = retriever.keyword_search(query)
        whole = cat.bm25(fts_match(chosen + common), 10_000)
        if not common:
            assert got == whole[:20]
            continue
        split += 1
        holding = {i for i, _ in cat.bm25(fts_match(chosen), 10_000)}
        expected = [(i, s) for i, s in whole if i in holding][:20]
        assert [i for i, _ in got] == [i for i, _ in expected], query
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-12)
        assert len(holding) < len(whole)  # something was left out: the split did work
    assert split >= 30  # the budget made most of these queries split
    cat.close()


def test_fts_rows_and_word_counts_follow_every_change(tmp_path: Path) -> None:
    """The passage total comes from FTS5's own totals record and the word counts are kept
    between searches: both must follow writes from this thread and from another one."""
    import threading

    cat, _ = _zipf_catalog(tmp_path / "c.sqlite3", 120, seed=3)
    count = cat.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    assert cat.fts_rows() == count == 120
    before = cat.doc_freq("w0x")
    assert before == cat.db.execute(
        "SELECT COUNT(*) FROM chunks WHERE ' ' || text || ' ' LIKE '% w0x %' "
        "OR ' ' || context || ' ' LIKE '% w0x %'").fetchone()[0]
    fid = cat.ensure_file("/notes/extra.txt")
    cat.replace_chunks(fid, [Chunk(0, "w0x w0x alone", 0, 13, None, "", "")], "ee" * 8, 1, 1)
    assert cat.fts_rows() == 121 and cat.doc_freq("w0x") == before + 1
    assert cat.doc_freqs(["alon", "again"]) == {"alon": 1, "again": 0}  # terms: stems

    def elsewhere() -> None:  # another thread: another connection
        other = cat.ensure_file("/notes/other.txt")
        cat.replace_chunks(other, [Chunk(0, "w0x again", 0, 9, None, "", "")], "ff" * 8, 1, 1)
        cat.remove_files([fid])

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join()
    assert cat.fts_rows() == 121 and cat.doc_freq("w0x") == before + 1  # one out, one in
    assert cat.doc_freqs(["w0x", "alon", "again", "nowher"]) == {
        "w0x": before + 1, "alon": 0, "again": 1, "nowher": 0}
    cat.close()


def test_rrf_rewards_agreement() -> None:
    scores = rrf([["a", "b", "c"], ["b", "d"]], k=60)
    assert max(scores, key=scores.get) == "b"
    assert scores["a"] == pytest.approx(1 / 61)


def test_fusion_keeps_a_clear_winner_first() -> None:
    from assistant.core.retrieval import fuse

    # BM25 is sure about "a"; the dense list barely prefers "b": "a" stays first.
    scores = fuse([("b", 0.52), ("a", 0.51), ("c", 0.20)], [("a", 12.0), ("c", 2.0)], 0.5)
    assert max(scores, key=scores.get) == "a"
    assert fuse([], [("x", 3.0)], 0.5) == {"x": 0.5}


@pytest.mark.integration
def test_same_index_and_query_give_the_same_passages(services, tmp_path: Path, embedder,
                                                     generator) -> None:
    from assistant.config import load_settings
    from assistant.services import Services

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"n{i}.md").write_text(
            f"# Note {i}\n\n" + " ".join(f"Harbour {i % 5} keeps boat {j} and tide log {i}."
                                         for j in range(20)))
    list(services.indexer.index([docs]))
    queries = [f"tide log of harbour {i}" for i in range(10)] + ["boat 7", "which harbour?"]

    def ranks(svc) -> list:  # noqa: ANN001
        return [[(p.chunk_id, round(p.score, 6)) for p in svc.search(q, 10)] for q in queries]

    first = ranks(services)
    assert ranks(services) == first
    services.close()
    reopened = Services(load_settings(), embedder=embedder, generator=generator)
    try:
        assert ranks(reopened) == first
    finally:
        reopened.close()


def test_an_empty_index_is_searched_without_loading_the_embedder(tmp_path: Path) -> None:
    """`assistant search` before anything is indexed answers at once (the embedding model
    takes seconds to import and load)."""
    from assistant.core.retrieval import Retriever

    class NoEmbedder:
        def encode_query(self, text: str) -> None:
            raise AssertionError("the embedder was loaded for an empty index")

    catalog = Catalog(tmp_path / "catalog.db")
    retriever = Retriever(catalog, store=None, embedder=NoEmbedder())  # type: ignore[arg-type]
    assert retriever.search("when did the bridge open", 5) == []
    catalog.close()


class _Catalog:
    """A catalog whose keyword search takes a while, or fails."""

    def __init__(self, fail: bool = False):
        import threading

        self.fail = fail
        self.finished = threading.Event()

    def has_chunks(self) -> bool:
        return True

    def bm25(self, match: str, limit: int) -> list[tuple[str, float]]:
        import time

        time.sleep(0.2)
        self.finished.set()
        if self.fail:
            raise RuntimeError("database disk image is malformed")
        return [("a", 2.0)]

    def passages(self, ids: list[str]) -> dict:
        from assistant.core.types import Passage

        return {i: Passage(i, "/d/x.txt", None, 0, 1, "x") for i in ids}


def test_a_failing_keyword_search_fails_the_search() -> None:
    import numpy as np

    from assistant.core.retrieval import Retriever

    class Embed:
        def encode_query(self, text: str) -> np.ndarray:
            return np.ones(4, dtype=np.float32)

    class Store:
        def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
            return [("a", 0.9)]

    retriever = Retriever(_Catalog(fail=True), Store(), Embed())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="malformed"):
        retriever.search("bridge", 5)


def test_a_failing_embedder_still_waits_for_the_keyword_search() -> None:
    """The keyword search runs beside the embedding; when the embedding fails, the search
    returns that error only after the keyword side is done (the caller may close the
    catalog next)."""
    from assistant.core.retrieval import Retriever

    class Broken:
        def encode_query(self, text: str) -> None:
            raise MemoryError("no room for the query vector")

    catalog = _Catalog()
    retriever = Retriever(catalog, store=None, embedder=Broken())  # type: ignore[arg-type]
    with pytest.raises(MemoryError):
        retriever.search("bridge", 5)
    assert catalog.finished.is_set()


def test_the_vector_store_returns_what_it_holds_when_asked_for_more(tmp_path: Path) -> None:
    """The dense search asks for 30 neighbours without counting first: an empty store, a
    store holding fewer, and a store emptied again answer with what they hold."""
    import numpy as np

    from assistant.core.store import VectorStore

    store = VectorStore("nearest-test", path=tmp_path / "chroma")
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert store.query(query, 30) == []
    vectors = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    store.add(["near", "far"], vectors, [{"file_id": 1, "page": -1}] * 2)
    found = store.query(query, 30)
    assert [i for i, _ in found] == ["near", "far"]
    assert found[0][1] == pytest.approx(1.0, abs=1e-5)
    assert found[1][1] == pytest.approx(0.0, abs=1e-5)
    store.delete(["near", "far"])
    assert store.query(query, 30) == []


def test_a_store_that_refuses_more_than_it_holds_is_asked_for_less(tmp_path: Path) -> None:
    """Some Chroma servers raise when asked for more neighbours than they hold."""
    import numpy as np

    from assistant.core.store import VectorStore

    class Strict:
        def __init__(self, held: int):
            self.held = held
            self.asked: list[int] = []

        def count(self) -> int:
            return self.held

        def query(self, query_embeddings: list, n_results: int, include: list) -> dict:
            self.asked.append(n_results)
            if n_results > self.held:
                raise ValueError(f"n_results {n_results} > {self.held} elements")
            ids = [f"c{i}" for i in range(n_results)]
            return {"ids": [ids], "distances": [[0.5] * n_results]}

    store = VectorStore("strict-test", path=tmp_path / "chroma")
    store.collection = Strict(2)  # type: ignore[assignment]
    assert store.query(np.ones(3, dtype=np.float32), 30) == [("c0", 0.5), ("c1", 0.5)]
    assert store.collection.asked == [30, 2]
    store.collection = Strict(0)  # type: ignore[assignment]
    assert store.query(np.ones(3, dtype=np.float32), 30) == []


def test_a_question_is_encoded_on_one_thread_fewer_and_leaves_other_threads_alone(
        embedder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The keyword search runs beside the question's encoding, so the question gets one
    torch thread fewer; a batch (indexing, in its own thread) keeps torch's default, before
    and after a question is asked from another thread."""
    import threading

    import numpy as np
    import torch

    model = embedder.model
    default = embedder.threads
    assert default >= 1
    seen: list[tuple[str, int]] = []
    real = model.encode

    def encode(texts, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append((threading.current_thread().name, torch.get_num_threads()))
        return real(texts, *a, **k)

    monkeypatch.setattr(model, "encode", encode)
    batch = embedder.encode(["one passage", "another passage"])
    asker = threading.Thread(target=lambda: seen.append(
        ("vector", int(np.asarray(embedder.encode_query("when did it open")).shape[0]))),
        name="asker")
    asker.start()
    asker.join()
    later = threading.Thread(target=lambda: embedder.encode(["a passage", "and one more"]),
                             name="indexer")  # started after the question
    later.start()
    later.join()
    assert embedder.encode(["a third passage", "a fourth"]).shape == batch.shape
    main = threading.current_thread().name
    assert seen == [(main, default), ("asker", max(1, default - 1)), ("vector", 384),
                    ("indexer", default), (main, default)]
