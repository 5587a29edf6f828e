"""Changing chunking or embedding settings: the old index answers while a new one is built
(with an estimate first), and the switch happens only when the new one is complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.core.types import IndexProgress, IndexSummary, RebuildDone, RebuildStarted
from assistant.services import Services

pytestmark = pytest.mark.integration


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    for i in range(12):
        (d / f"doc{i}.txt").write_text(
            " ".join(f"Paragraph {i}.{j} talks about topic {i} and the harbour." for j in range(30))
        )
    return d


def test_settings_change_rebuilds_in_background(services, corpus: Path, embedder, generator,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    list(services.indexer.index([corpus]))
    old_profile = services.active.profile
    old_dir = services.active.dir
    services.close()

    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "96")
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BATCH_SIZE", "8")  # small batches: stop mid-way
    changed = Services(load_settings(), embedder=embedder, generator=generator)
    try:
        assert changed.rebuild_pending
        assert changed.active.profile == old_profile  # the old index still answers
        assert changed.retriever.search("harbour topic 3", 1)[0].path.endswith("doc3.txt")
        summary = list(changed.indexer.index([corpus]))[-1]
        assert summary.embedded_chunks == 0  # no silent re-embedding on the spot

        # an interrupted rebuild leaves the old index active ...
        events = changed.rebuild()
        started = next(events)
        assert isinstance(started, RebuildStarted)
        assert started.files == 12 and started.chunks_estimate > 0
        assert started.seconds_estimate > 0
        for event in events:
            if isinstance(event, IndexProgress) and 0 < event.files_done < 12:
                break
        events.close()
        assert changed.active.profile == old_profile and changed.rebuild_pending

        # ... and resumes without redoing the finished files
        done = [e for e in changed.rebuild() if isinstance(e, RebuildDone | IndexSummary)]
        assert isinstance(done[-1], RebuildDone)
        assert not changed.rebuild_pending
        assert changed.active.profile != old_profile
        assert not old_dir.exists()
        for text in (p.text for p in changed.retriever.search("harbour", 5)):
            assert changed.embedder.count_tokens(text) <= 96
        ids = changed.catalog.chunk_ids()
        assert 0 < done[-1].embedded_chunks < len(ids)  # the first run's files were kept
        assert changed.store.ids() == ids and changed.catalog.fts_count() == len(ids)
        assert changed.status()["files"] == 12
    finally:
        changed.close()


def test_a_passage_size_above_what_the_model_reads_is_the_same_index(
        services, corpus: Path, embedder, generator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A passage size of 500 tokens (what e5 reads) is more than MiniLM reads (254): a
    MiniLM index built at 254 is what 500 asks for too, so it rebuilds nothing; a smaller
    size still does."""
    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "254")
    services.close()
    first = Services(load_settings(), embedder=embedder, generator=generator)
    list(first.indexer.index([corpus]))
    profile = first.active.profile
    first.close()
    for size, rebuilds in (("500", False), ("100000", False), ("200", True)):
        monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", size)
        again = Services(load_settings(), embedder=embedder, generator=generator)
        try:
            assert again.active.profile == profile
            assert again.rebuild_pending is rebuilds, size
            assert again.status()["files"] == 12
        finally:
            again.close()
    # and while running: asking for 500 after 254 changes nothing
    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "254")
    running = Services(load_settings(), embedder=embedder, generator=generator)
    try:
        monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "500")
        assert running.reload_settings(load_settings()) is False
        assert not running.rebuild_pending
        monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "128")
        assert running.reload_settings(load_settings()) is True
        assert running.rebuild_pending
    finally:
        running.close()


def test_recorded_index_is_used_when_the_embedder_files_change(
        services, corpus: Path, tmp_path: Path, generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgraded embedder package (its files changed) must not open an empty index, and a
    recorded embedder folder that is gone must not break `status`."""
    import json
    import shutil

    from assistant.core.embedding import bundled_model_dir
    from assistant.core.errors import ModelMissingError

    model = tmp_path / "my-embedder"
    shutil.copytree(bundled_model_dir(), model)
    services.close()
    monkeypatch.setenv("ASSISTANT_EMBEDDING__MODEL_DIR", str(model))
    first = Services(load_settings(), generator=generator)
    list(first.indexer.index([corpus]))
    profile = first.active.profile
    first.close()

    config = json.loads((model / "config.json").read_text())
    config["upgraded_by"] = "a newer package"
    (model / "config.json").write_text(json.dumps(config))
    upgraded = Services(load_settings(), generator=generator)
    try:
        assert upgraded.active.profile == profile and upgraded.rebuild_pending
        status = upgraded.status()
        assert status["files"] == 12 and "files changed" in status["rebuild_reason"]
        assert upgraded.search("harbour topic 5", 1)[0].path.endswith("doc5.txt")
    finally:
        upgraded.close()

    shutil.rmtree(model)
    gone = Services(load_settings(), generator=generator)
    try:
        status = gone.status()  # still works, and says what is wrong
        assert status["files"] == 12 and status["rebuild_pending"]
        assert "is gone" in status["rebuild_reason"]
        with pytest.raises(ModelMissingError, match="is gone"):
            gone.search("harbour", 1)
    finally:
        gone.close()
