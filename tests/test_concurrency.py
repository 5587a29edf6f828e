"""A long-lived app: answers cancelled from another thread, the inference lane released
whatever happens to a stream, models loaded once, the embedder shared by indexing and
questions at the same time, and index switches under readers. Real models throughout."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.core.answer import Answerer, Thresholds
from assistant.core.catalog import Catalog
from assistant.core.llm import GenerationCancelled, LocalGenerator
from assistant.core.types import AnswerDone, ModelState, SourcesFound, TokenStreamed
from assistant.services import Services
from tests.helpers import FACT_PAGES, make_pdf

pytestmark = pytest.mark.integration

LONG_QUESTION = "Write a long, detailed account of the lighthouse survey, every station in turn."


@pytest.fixture
def indexed(services, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "survey.pdf", FACT_PAGES)
    (docs / "notes.md").write_text("# Survey notes\n\n" + " ".join(
        f"Station {i} on the Norwegian coast has a tower of {20 + i} metres and a keeper's house."
        for i in range(60)))
    list(services.indexer.index([docs]))
    services.answerer.max_answer_tokens = 400
    # Always call the model in these tests.
    services.answerer.thresholds = Thresholds(skip_model=-9.0, quote=-9.0, keys=0.0)
    return services


def _consume(stream, out: list, first_token: threading.Event) -> None:  # noqa: ANN001
    for event in stream:
        out.append((time.monotonic(), event))
        if isinstance(event, TokenStreamed):
            first_token.set()


def test_cancel_between_tokens_within_200ms_keeps_the_text(indexed) -> None:
    stream = indexed.answerer.answer(LONG_QUESTION)
    events: list = []
    first = threading.Event()
    worker = threading.Thread(target=_consume, args=(stream, events, first))
    worker.start()
    assert first.wait(60)
    t0 = time.monotonic()
    stream.cancel()
    worker.join(10)
    done_at, done = events[-1]
    assert isinstance(done, AnswerDone) and done.cancelled and not done.abstained
    assert done_at - t0 < 0.2, done_at - t0
    written = "".join(e.text for _, e in events if isinstance(e, TokenStreamed)).strip()
    assert written and done.draft == written
    assert not indexed.generator.lane.locked()


def test_cancel_during_prompt_processing_within_200ms(indexed) -> None:
    stream = indexed.answerer.answer(LONG_QUESTION)
    assert isinstance(next(stream), SourcesFound)
    events: list = []
    worker = threading.Thread(target=_consume, args=(stream, events, threading.Event()))
    worker.start()
    time.sleep(0.05)  # the model is reading the prompt (about a second on this CPU)
    t0 = time.monotonic()
    stream.cancel()
    worker.join(10)
    done_at, done = events[-1]
    assert isinstance(done, AnswerDone) and done.cancelled
    assert done_at - t0 < 0.2, done_at - t0
    assert not indexed.generator.lane.locked()
    # The aborted prompt leaves nothing behind: the next answer is whole.
    again = indexed.answerer.answer("When was the Lindesnes lighthouse first lit?").result()
    assert not again.cancelled and again.timings.get("tokens", 0) > 0


def test_a_dropped_stream_never_keeps_the_lane(indexed) -> None:
    stream = indexed.answerer.answer(LONG_QUESTION)
    for event in stream:
        if isinstance(event, TokenStreamed):
            break
    assert indexed.generator.lane.locked()
    del stream, event
    gc.collect()
    assert not indexed.generator.lane.locked()
    done = indexed.answerer.answer("When was the Lindesnes lighthouse first lit?").result()
    assert isinstance(done, AnswerDone)


def test_closing_the_model_stops_a_running_answer_and_waits(model_path: Path) -> None:
    generator = LocalGenerator(model_path, n_ctx=2048)
    pieces: list[str] = []
    errors: list[BaseException] = []
    started = threading.Event()

    def talk() -> None:
        try:
            for piece in generator.stream_chat(
                    [{"role": "user", "content": "Count from one to five hundred in words."}],
                    max_tokens=1500, temperature=0.1):
                pieces.append(piece)
                started.set()
        except GenerationCancelled as exc:
            errors.append(exc)

    worker = threading.Thread(target=talk)
    worker.start()
    assert started.wait(60)
    generator.close()
    worker.join(5)
    assert not worker.is_alive() and errors and generator.state == "unloaded"
    assert not generator.lane.locked()


def test_model_loads_once_and_reports_its_state(model_path: Path, tmp_path: Path) -> None:
    generator = LocalGenerator(model_path, n_ctx=1024)
    states: list[ModelState] = []
    generator.add_listener(states.append)
    threads = [threading.Thread(target=generator.load) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [s.state for s in states] == ["loading", "ready"] and states[1].seconds > 0
    generator.close()

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 4096)
    bad = LocalGenerator(broken)
    seen: list[ModelState] = []
    bad.add_listener(seen.append)
    with pytest.raises(Exception, match="broken.gguf"):
        bad.load()
    assert seen[-1].state == "failed" and "broken.gguf" in seen[-1].reason


def test_loading_a_model_leaves_other_threads_output_alone(model_path: Path) -> None:
    """The app serves terminal commands while the model loads: their prints (sys.stdout,
    sys.stderr, descriptors 1 and 2) must not be pointed at /dev/null meanwhile."""
    import os
    import sys

    def streams() -> tuple:
        return (sys.stdout, sys.stderr, os.fstat(1).st_ino, os.fstat(2).st_ino)

    before = streams()
    seen: set[tuple] = set()
    loaded = threading.Event()

    def watch() -> None:
        while not loaded.is_set():
            seen.add(streams())
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    generator = LocalGenerator(model_path, n_ctx=1024)
    try:
        generator.load()
    finally:
        loaded.set()
        watcher.join()
        generator.close()
    assert seen == {before}


def test_answer_waits_for_the_model_and_says_so(services, tmp_path: Path, model_path: Path,
                                                 ) -> None:
    (tmp_path / "n.md").write_text("# Kites\n\nThe red kite nests in tall oak trees.\n")
    list(services.indexer.index([tmp_path / "n.md"]))
    fresh = LocalGenerator(model_path, n_ctx=2048)
    try:
        answerer = Answerer(services, fresh, services.evidence,
                            thresholds=Thresholds(skip_model=-9.0, quote=-9.0, keys=0.0))
        events = list(answerer.answer("Where does the red kite nest?"))
        kinds = [type(e).__name__ for e in events]
        assert kinds[:3] == ["SourcesFound", "ModelState", "ModelState"]
        assert [e.state for e in events if isinstance(e, ModelState)] == ["loading", "ready"]
        assert isinstance(events[-1], AnswerDone)
    finally:
        fresh.close()


def test_embedder_loads_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import sentence_transformers

    from assistant.core.embedding import Embedder

    made: list[int] = []
    real = sentence_transformers.SentenceTransformer

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        made.append(1)
        time.sleep(0.3)  # widen the window two loads would need
        return real(*args, **kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", counting)
    embedder = Embedder()
    models: list = []
    threads = [threading.Thread(target=lambda: models.append(embedder.model)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(made) == 1 and len({id(m) for m in models}) == 1


def test_questions_embed_while_passages_embed(embedder) -> None:
    """The writer lane's batches, the chunker's tokenizer and the questions run together."""
    passages = [f"Passage {i}: " + "the harbour master logs every ship. " * (i % 40 + 2)
                for i in range(256)]
    questions = [f"Which ship did the harbour master log on day {i}?" for i in range(8)]
    alone = np.vstack([embedder.encode([q]) for q in questions])
    errors: list[BaseException] = []
    stop = threading.Event()

    def loop(work) -> None:  # noqa: ANN001
        while not stop.is_set():
            try:
                work()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    workers = [threading.Thread(target=loop, args=(lambda: embedder.encode(passages[:64]),)),
               threading.Thread(target=loop, args=(lambda: embedder.token_spans(
                   " ".join(passages[:120])),))]
    for w in workers:
        w.start()
    try:
        together = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            together.append(np.vstack([embedder.encode([q]) for q in questions]))
    finally:
        stop.set()
        for w in workers:
            w.join(60)
    assert not errors, errors
    for vectors in together:
        assert np.allclose(vectors, alone, atol=1e-5)


def test_switching_index_waits_for_its_readers(services, tmp_path: Path, embedder, generator,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(4):
        (docs / f"d{i}.txt").write_text(f"Document {i} describes the harbour of town {i}. " * 30)
    list(services.indexer.index([docs]))
    services.close()
    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "64")
    changed = Services(load_settings(), embedder=embedder, generator=generator)
    try:
        old = changed.active
        held = threading.Event()
        release = threading.Event()
        results: list = []

        def reader() -> None:
            with changed.generations.reading() as generation:
                held.set()
                release.wait(60)
                results.append(generation.retriever.search("harbour of town 2", 1))

        thread = threading.Thread(target=reader)
        thread.start()
        assert held.wait(10)
        list(changed.rebuild(estimate=False))
        assert changed.active is not old and old.dir.exists()  # still read: kept
        release.set()
        thread.join(30)
        assert results and results[0][0].path.endswith("d2.txt")
        assert not old.dir.exists()  # its last reader let go
        assert changed.search("harbour of town 3", 1)[0].path.endswith("d3.txt")
    finally:
        changed.close()


def test_closing_the_catalog_closes_every_threads_connection(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.sqlite3")
    connections: list[sqlite3.Connection] = []
    barrier = threading.Barrier(4)

    def use() -> None:
        connections.append(catalog.db)
        catalog.counts()
        barrier.wait(10)

    threads = [threading.Thread(target=use) for _ in range(3)]
    for t in threads:
        t.start()
    barrier.wait(10)
    for t in threads:
        t.join(10)
    catalog.close()
    assert len(connections) == 3
    for conn in connections:
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
