"""The writer lane on the real engine: requests from other threads, progress events, pause,
stop mid-batch, forgetting inside watched folders, and background rebuilds that switch."""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import paths
from assistant.config import load_settings
from assistant.core.types import (
    IndexProgress,
    IndexSummary,
    RebuildDone,
    RebuildStarted,
    RequestDone,
    WriterState,
)
from assistant.core.watcher import BatchDone
from assistant.services import Services
from tests.helpers import consistent, run

pytestmark = pytest.mark.integration


class Recorder:
    """Collects every event the lane reports (from its threads) for the test thread."""

    def __init__(self, writer):  # noqa: ANN001
        self.events: queue.Queue = queue.Queue()
        self.seen: list = []
        writer.subscribe(self.events.put)

    def wait_for(self, predicate, timeout: float = 60):  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(event)
            if predicate(event):
                return event
        raise AssertionError(f"not seen within {timeout}s; saw {self.seen[-5:]}")


def corpus(folder: Path, n: int, words: int = 60) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note{i:03}.txt").write_text(" ".join(
            f"Note {i} sentence {j} about the harbour and topic {i}." for j in range(words)))
    return folder



def test_index_request_from_another_thread_streams_progress(services, tmp_path: Path) -> None:
    docs = corpus(tmp_path / "docs", 6)
    writer = services.writer(folders=[], watch=False).start()
    try:
        results: dict = {}

        def client() -> None:  # e.g. the GUI's drop handler: returns at once, then follows
            request = writer.index([docs])
            results["events"] = list(request.events())

        thread = threading.Thread(target=client)
        thread.start()
        thread.join(120)
        events = results["events"]
        progress = [e for e in events if isinstance(e, IndexProgress)]
        assert progress and progress[-1].files_done == progress[-1].files_total == 6
        assert isinstance(events[-2], IndexSummary) and events[-2].added == 6
        assert isinstance(events[-1], RequestDone) and not events[-1].error
        hits = services.search("harbour topic 4", 3)
        assert hits and hits[0].path.endswith("note004.txt")
    finally:
        assert writer.stop(10)
    assert not services.writer_lock.held


def test_stop_mid_batch_keeps_a_consistent_index_that_resumes(services, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    docs = corpus(tmp_path / "docs", 40, words=120)
    services.settings.embedding.batch_size = 8
    for embedder in services._embedders.values():
        monkeypatch.setattr(embedder, "batch_size", 8)
    writer = services.writer(folders=[], watch=False).start()
    recorder = Recorder(writer)
    request = writer.index([docs])
    recorder.wait_for(lambda e: isinstance(e, IndexProgress) and e.chunks_embedded >= 16)
    t0 = time.monotonic()
    assert writer.stop(10)
    stopped_in = time.monotonic() - t0
    assert request.wait(1) is not None and request.result.cancelled
    assert stopped_in < 5, stopped_in  # one embedding batch, not the whole folder
    embedded_before = services.store.count()

    # The next run repairs and finishes, embedding only what was not stored yet.
    writer = services.writer(folders=[], watch=False).start()
    done = writer.index([docs]).wait(300)
    writer.stop(10)
    assert done is not None and done.summary is not None and not done.error
    total = len(services.catalog.chunk_ids())
    assert done.summary.embedded_chunks == total - embedded_before
    assert services.status()["files"] == 40 and consistent(services)


def test_vectors_are_stored_in_large_writes_and_a_stop_keeps_those_made(
        services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Encoded vectors reach the store a few hundred at a time (Chroma's cost per call is
    large), and a stop asked between two batches stores the ones already encoded first:
    the next run embeds none of them again."""
    from assistant.core import indexer as indexer_module

    monkeypatch.setattr(indexer_module, "STORE_BATCH", 24)
    docs = corpus(tmp_path / "docs", 30, words=120)
    writer = services.writer(folders=[], watch=False).start()
    encoded: list[int] = []
    writes: list[int] = []
    for embedder in services._embedders.values():
        monkeypatch.setattr(embedder, "batch_size", 8)
        real = embedder.encode

        def encode(texts, *a, _real=real, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
            encoded.append(len(texts))
            if len(encoded) == 5:
                writer.stop(0)  # asked while the fifth batch is encoded
            return _real(texts, *a, **k)

        monkeypatch.setattr(embedder, "encode", encode)
    real_add = services.store.add
    monkeypatch.setattr(services.store, "add", lambda ids, *a, **k: writes.append(len(ids))
                        or real_add(ids, *a, **k))
    request = writer.index([docs])
    assert request.wait(120) is not None and request.result.cancelled
    writer.stop(10)
    assert encoded == [8] * 5
    assert writes == [24, 16]  # three batches in one write; the last two stored at the stop
    assert services.store.count() == 40
    monkeypatch.undo()
    writer = services.writer(folders=[], watch=False).start()
    done = writer.index([docs]).wait(300)
    writer.stop(10)
    assert done is not None and done.summary is not None and not done.error
    assert done.summary.embedded_chunks == len(services.catalog.chunk_ids()) - 40
    assert consistent(services)


def test_a_stop_asked_while_the_model_loads_embeds_nothing(services, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The model loads on the first flush (seconds of imports that cannot be cut short); a
    stop asked meanwhile ends the run before the first batch is encoded."""
    docs = corpus(tmp_path / "docs", 5, words=120)
    writer = services.writer(folders=[], watch=False).start()
    encoded: list[int] = []
    for embedder in services._embedders.values():
        monkeypatch.setattr(embedder, "load", lambda: writer.stop(0))  # Ctrl+C meanwhile
        real = embedder.encode
        monkeypatch.setattr(embedder, "encode",
                            lambda texts, *a, _real=real, **k: encoded.append(len(texts))
                            or _real(texts, *a, **k))
    request = writer.index([docs])
    assert request.wait(60) is not None and request.result.cancelled
    writer.stop(10)
    assert encoded == [] and services.store.count() == 0 and consistent(services)


def test_pause_holds_indexing_and_resume_finishes(services, tmp_path: Path) -> None:
    docs = corpus(tmp_path / "docs", 12)
    writer = services.writer(folders=[], watch=False).start()
    recorder = Recorder(writer)
    try:
        writer.pause()
        request = writer.index([docs])
        time.sleep(1.5)
        assert not request.done.is_set() and services.catalog.counts()["files"] == 0
        assert writer.state == "paused"
        writer.resume()
        assert request.wait(120) is not None and request.result.summary.added == 12
        states = [e.state for e in recorder.seen + list(recorder.events.queue)
                  if isinstance(e, WriterState)]
        assert "paused" in states
    finally:
        writer.stop(10)


def test_forgetting_inside_a_watched_folder_does_not_come_back(services, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    corpus(folder / "keep", 2)
    corpus(folder / "drafts", 2)
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("# my own notes about this file\n[llm]\nn_ctx = 4096  # enough\n")
    writer = services.writer(folders=[str(folder)], polling=False)
    writer.subscribe(lambda e: None)
    recorder = Recorder(writer)
    writer.start()
    try:
        recorder.wait_for(lambda e: isinstance(e, BatchDone) and e.reconcile)
        done = writer.forget([folder / "drafts"]).wait(60)
        assert done is not None and done.summary.removed == 2
        assert writer.rescan().wait(60) is not None
        assert not [r for r in services.catalog.files() if "drafts" in r.path]
        (folder / "drafts" / "new.txt").write_text("A new draft about herons.\n")
        time.sleep(2.5)  # debounce and a batch, had it been watched
        assert not [r for r in services.catalog.files() if "drafts" in r.path]
        text = cfg.read_text()
        assert "# my own notes about this file" in text and "# enough" in text
        assert str(folder / "drafts") in load_settings().watch.excluded
        # Named explicitly, it comes back (and is no longer excluded).
        writer.index([folder / "drafts"]).wait(60)
        assert len([r for r in services.catalog.files() if "drafts" in r.path]) == 3
        assert load_settings().watch.excluded == []
    finally:
        writer.stop(10)


def test_rebuild_in_the_lane_switches_and_keeps_unplugged_files(
        services, tmp_path: Path, embedder, generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 1: the rebuild thread takes the (process-wide) writer lock. Defect 2: files of an
    unplugged drive survive the rebuild, searchable, and are re-read when the drive returns."""
    folder = corpus(tmp_path / "watched", 8)
    drive = tmp_path / "media" / "usb"
    corpus(drive / "archive", 3, words=20)
    (drive / "archive" / "lighthouse.txt").write_text(
        "The Penwithick lighthouse burns whale oil and was built in 1822.\n")
    list(services.indexer.index([folder, drive / "archive"]))
    services.close()
    away = tmp_path / "unplugged"
    drive.rename(away)

    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "96")
    changed = Services(load_settings(), embedder=embedder, generator=generator)
    old_profile = changed.active.profile
    writer = changed.writer(folders=[str(folder)])
    recorder = Recorder(writer)
    writer.start()
    try:
        recorder.wait_for(lambda e: isinstance(e, RebuildStarted), 60)
        # Meanwhile the old index answers, and a file added now reaches the new one too.
        assert changed.search("harbour topic 2", 1)[0].path.endswith("note002.txt")
        (folder / "late.txt").write_text("A late note about cormorants diving.\n")
        recorder.wait_for(lambda e: isinstance(e, RebuildDone), 300)
        assert not writer.failure
        assert changed.active.profile != old_profile and not changed.rebuild_pending
        hit = changed.search("Penwithick lighthouse whale oil", 1)[0]
        assert hit.path == str(drive / "archive" / "lighthouse.txt")
        record = changed.catalog.file(hit.path)
        assert record is not None and record.state == "unavailable"
        deadline = time.monotonic() + 30
        while changed.catalog.file(str(folder / "late.txt")) is None:
            assert time.monotonic() < deadline, "a file added during the rebuild was lost"
            time.sleep(0.2)
        assert consistent(changed)
    finally:
        writer.stop(10)
    away.rename(drive)  # plugged back in: read and chunked with the new settings
    summary = list(changed.indexer.index([drive / "archive"]))[-1]
    assert summary.updated == 4 and summary.embedded_chunks > 0
    assert changed.catalog.file(str(drive / "archive" / "lighthouse.txt")).state == "indexed"
    assert consistent(changed)
    changed.close()


def test_retry_failed_parses_again_even_if_unchanged(services, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (docs / "ok.md").write_text("# Fine\n\nA readable note about owls.\n")
    writer = services.writer(folders=[], watch=False).start()
    try:
        first = writer.index([docs]).wait(60)
        assert first.summary.failed == 1
        calls: list[str] = []
        real_parse = writer._indexer.parser.parse
        writer._indexer.parser.parse = lambda path, data, cancel=None: (
            calls.append(path), real_parse(path, data, cancel))[1]
        again = writer.index([docs]).wait(60)  # unchanged and known bad: not parsed again
        assert again.summary.failed == 1 and calls == []
        retried = writer.retry_failed().wait(60)
        assert retried.summary.failed == 1 and calls == [str(docs / "report.pdf")]
        assert services.catalog.file(str(docs / "report.pdf")).reason == "corrupt"
    finally:
        writer.stop(10)


def test_a_flush_embeds_its_chunks_longest_first_in_small_batches(
        services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of all the files of a flush go to the encoder sorted by their length in word
    pieces (little padding), 16 at a time on a CPU (a stop waits for one small batch).
    Numbers make more word pieces per character than words do, so sorting by characters
    would not give this order."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):  # files of very different lengths, short and long interleaved
        words = " ".join(f"Sentence {j} of note {i}." for j in range(3 if i % 2 else 60))
        figures = " ".join(f"{j * 7919 % 10007}.{j}" for j in range(i * 4))
        (docs / f"n{i:02}.txt").write_text(f"{words}\n\n{figures}".strip())
    embedder = services.embedder
    batches: list[list[str]] = []
    encode = embedder.encode

    def recording(texts: list[str], batch_size: int | None = None):  # noqa: ANN202
        batches.append(list(texts))
        return encode(texts, batch_size)

    monkeypatch.setattr(embedder, "encode", recording)
    list(services.indexer.index([docs]))
    texts = [t for batch in batches for t in batch]
    assert len(texts) == services.status()["chunks"] and len(batches) > 1
    pieces = [embedder.count_tokens(t) for t in texts]
    assert pieces == sorted(pieces, reverse=True)
    assert [len(t) for t in texts] != sorted((len(t) for t in texts), reverse=True)
    assert max(len(b) for b in batches) == embedder.batch_size


def test_the_first_flush_is_early_and_later_ones_larger(services, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first files are searchable soon; later flushes gather more chunks to sort."""
    from assistant.core.indexer import LATER_FLUSH_FACTOR

    docs = corpus(tmp_path / "docs", 40, words=10)  # one chunk each
    indexer = services.indexer
    indexer.flush_chunks = 4
    sizes: list[int] = []
    flush = indexer._flush

    def recording(pending, summary):  # noqa: ANN001, ANN202
        sizes.append(sum(len(p.chunks) for p in pending))
        return flush(pending, summary)

    monkeypatch.setattr(indexer, "_flush", recording)
    list(indexer.index([docs]))
    assert sizes[0] == 4 and sizes[1] == 4 * LATER_FLUSH_FACTOR and sum(sizes) == 40
    assert consistent(services)


def _count_parses(indexer, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # noqa: ANN001
    parsed: list[str] = []
    real = indexer.parser.parse

    def counting(path, data, cancel=None):  # noqa: ANN001, ANN202
        document = real(path, data, cancel)
        parsed.append(path)
        return document

    monkeypatch.setattr(indexer.parser, "parse", counting)
    return parsed


def _wait(predicate, timeout: float = 30) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _on_first_encode(services, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                     hold: Callable[[], None]) -> None:
    """Run ``hold`` inside the run's first encoder call (the first flush's first batch)."""
    encode = services.embedder.encode
    called: list[bool] = []

    def first(texts: list[str], batch_size: int | None = None):  # noqa: ANN202
        if not called:
            called.append(True)
            hold()
        return encode(texts, batch_size)

    monkeypatch.setattr(services.embedder, "encode", first)


def test_files_are_parsed_while_the_encoder_works(services, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader thread parses the next files while a flush is embedded, instead of the two
    taking turns: while the first flush's first batch is held in the encoder, files beyond
    that flush get parsed."""
    docs = corpus(tmp_path / "docs", 30, words=10)  # one chunk each
    indexer = services.indexer
    indexer.flush_chunks = 4
    parsed = _count_parses(indexer, monkeypatch)
    seen: list[int] = []

    def hold() -> None:
        _wait(lambda: len(parsed) >= 12)
        seen.append(len(parsed))

    _on_first_encode(services, monkeypatch, hold)
    summary, _ = run(indexer, docs)
    assert seen[0] >= 12  # 4 files in the flush, 8 more parsed meanwhile
    assert summary.added == 30 and summary.embedded_chunks == 30
    assert consistent(services)


@pytest.mark.parametrize("bound", ["files", "bytes"])
def test_the_reader_runs_a_bounded_way_ahead(services, tmp_path: Path, bound: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded whatever the encoder's speed: the reader stops READ_AHEAD_FILES
    files (or READ_AHEAD_BYTES bytes, but at least one file) ahead of the flush."""
    from assistant.core import indexer as indexer_module

    if bound == "files":
        monkeypatch.setattr(indexer_module, "READ_AHEAD_FILES", 3)
        most = 4 + 3
    else:
        monkeypatch.setattr(indexer_module, "READ_AHEAD_BYTES", 1)  # one file at a time
        most = 4 + 1
    docs = corpus(tmp_path / "docs", 20, words=10)
    indexer = services.indexer
    indexer.flush_chunks = 4
    parsed = _count_parses(indexer, monkeypatch)
    during: list[int] = []

    def hold() -> None:
        _wait(lambda: len(parsed) >= most - 1)  # the reader got ahead ...
        time.sleep(0.3)  # ... and is given time to run further, if it would
        during.append(len(parsed))

    _on_first_encode(services, monkeypatch, hold)
    summary, _ = run(indexer, docs)
    assert most - 1 <= during[0] <= most
    assert summary.added == 20 and consistent(services)


def test_a_stop_does_not_wait_for_the_file_being_parsed(services, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A parse that takes long (held in the child here) is cancelled by a stop: the child is
    killed, the file is not marked failed, and the next run indexes it."""
    from assistant.core.indexer import IndexInterrupted

    docs = corpus(tmp_path / "docs", 1, words=10)
    flag = tmp_path / "parsing"
    monkeypatch.setenv("ASSISTANT_PAUSE_AT", "parsing")  # read by the child when it starts
    monkeypatch.setenv("ASSISTANT_PAUSE_FILE", str(flag))
    indexer = services.indexer
    indexer.parser.close()  # the next parse starts a child that sees the variables
    stop = threading.Event()

    def interrupt() -> None:
        if stop.is_set():
            raise IndexInterrupted

    monkeypatch.setattr(indexer, "interrupt", interrupt)
    outcome: list[object] = []

    def index_in_thread() -> None:
        try:
            list(indexer.index([docs]))
            outcome.append("finished")
        except IndexInterrupted as exc:
            outcome.append(exc)

    thread = threading.Thread(target=index_in_thread)
    thread.start()
    try:
        assert _wait(flag.exists)  # the child holds the parse
        stop.set()
        thread.join(10)
        assert not thread.is_alive() and isinstance(outcome[0], IndexInterrupted)
    finally:
        flag.unlink(missing_ok=True)
        thread.join(30)
    path = str(docs / "note000.txt")
    assert services.catalog.file(path) is None or services.catalog.file(path).state != "failed"
    monkeypatch.delenv("ASSISTANT_PAUSE_AT")
    monkeypatch.setattr(indexer, "interrupt", lambda: None)
    summary, _ = run(indexer, docs)
    assert summary.added == 1 and summary.failed == 0 and consistent(services)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="byte names: Linux")
def test_names_that_are_not_utf8_are_indexed_watched_and_remembered(services,
                                                                    tmp_path: Path) -> None:
    """A file and a folder whose own names are Latin-1 bytes, named explicitly: indexed,
    watched, and kept in config.toml (watched and forgotten), which is UTF-8 text."""
    base = os.fsencode(str(tmp_path))
    note = os.fsdecode(base + b"/r\xe9sum\xe9.txt")
    Path(note).write_text("Worked as a lighthouse keeper in Lindesnes.\n")
    folder = os.fsdecode(base + b"/caf\xe9")
    corpus(Path(folder) / "menus", 2)
    corpus(Path(folder, os.fsdecode(b"brouillons-\xe9t\xe9")), 1)
    writer = services.writer(folders=[], watch=False)
    recorder = Recorder(writer)
    writer.start()
    try:
        done = writer.index([note]).wait(120)
        assert done is not None and not done.error and done.summary.added == 1
        done = writer.watch([folder]).wait(120)
        assert done is not None and not done.error
        recorder.wait_for(lambda e: isinstance(e, BatchDone) and e.reconcile)
        assert len(services.catalog.files()) == 4
        drafts = os.fsdecode(base + b"/caf\xe9/brouillons-\xe9t\xe9")
        done = writer.forget([drafts]).wait(60)
        assert done is not None and not done.error and done.summary.removed == 1
        settings = load_settings()
        assert settings.watch.folders == [folder] and settings.watch.excluded == [drafts]
        paths.config_file().read_text(encoding="utf-8")
        (Path(folder) / "menus" / "dessert.txt").write_text("Dessert: plum cake.\n")
        recorder.wait_for(lambda e: isinstance(e, BatchDone) and e.summary.added == 1)
    finally:
        writer.stop(10)


def test_a_link_to_a_hidden_folder_is_not_watched(services, tmp_path: Path) -> None:
    secret = tmp_path / "user" / ".config" / "gh"
    secret.mkdir(parents=True)
    (secret / "hosts.yml").write_text("oauth_token: ghp_NotWatched\n")
    (tmp_path / "gh").symlink_to(secret, target_is_directory=True)
    writer = services.writer(folders=[], watch=False).start()
    try:
        done = writer.watch([tmp_path / "gh"]).wait(60)
        assert done is not None and "link to a hidden location" in done.error
        assert writer.folders == [] and load_settings().watch.folders == []
    finally:
        writer.stop(10)
