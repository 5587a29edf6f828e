"""The watcher on a real folder: debounced updates, editor saves, folder moves, deletes."""

from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.core.catalog import path_key
from assistant.core.watcher import BatchDone, FolderWatcher

pytestmark = pytest.mark.integration


class Running:
    def __init__(self, services, folder: Path, polling: bool = False):
        self.services = services
        self.watcher = FolderWatcher(services.indexer, [folder], services.rules,
                                     debounce_s=0.3, reconcile_interval_s=3600, polling=polling)
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        first = self.next_batch(60)
        assert first.reconcile

    def _run(self) -> None:
        for event in self.watcher.run():
            self.events.put(event)

    def next_batch(self, timeout: float = 20) -> BatchDone:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(event, BatchDone):
                return event
        raise AssertionError("no batch within the timeout")

    def no_batch(self, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if isinstance(self.events.get(timeout=0.1), BatchDone):
                    return False
            except queue.Empty:
                pass
        return True

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(timeout=10)


@pytest.fixture
def watched(services, tmp_path: Path):
    folder = tmp_path / "watched"
    (folder / "projects").mkdir(parents=True)
    (folder / "notes.md").write_text("# Notes\n\nThe heron nests by the lake.\n")
    (folder / "projects" / "plan.txt").write_text("Plan: build a cedar greenhouse in May.\n")
    running = Running(services, folder)
    yield running, folder
    running.stop()


def paths(services) -> set[str]:
    return {r.key for r in services.catalog.files()}


def test_new_file_and_burst_of_writes_are_one_update_each(watched) -> None:
    running, folder = watched
    services = running.services
    (folder / "new.txt").write_text("Fresh note about kingfishers.\n")
    batch = running.next_batch()
    assert batch.summary.added == 1
    for i in range(10):
        with (folder / "new.txt").open("a") as f:
            f.write(f"line {i} about kingfishers diving\n")
        time.sleep(0.02)
    batch = running.next_batch()
    assert (batch.summary.updated, batch.summary.added) == (1, 0)
    assert running.no_batch(1.0)
    hit = services.retriever.search("kingfishers diving", 1)[0]
    assert "line 9" in hit.text


def test_editor_save_by_rename_is_one_update_of_the_real_path(watched) -> None:
    running, folder = watched
    services = running.services
    tmp = folder / ".notes.md.swp-like.md"  # hidden temp file, like many editors use
    tmp2 = folder / "notes.saving.md"  # a visible one, which must not stay in the index either
    tmp.write_text("draft")
    tmp2.write_text("# Notes\n\nThe heron nests by the lake. It returns every April.\n")
    tmp2.replace(folder / "notes.md")
    tmp.unlink()
    batch = running.next_batch()
    assert (batch.summary.updated, batch.summary.added) == (1, 0)
    assert str(folder / "notes.saving.md") not in paths(services)
    assert services.retriever.search("heron returns April", 1)[0].path == str(folder / "notes.md")
    assert running.no_batch(1.0)


def test_folder_moved_inside_tree_is_metadata_only(watched) -> None:
    running, folder = watched
    services = running.services
    vectors = services.store.ids()
    (folder / "projects").rename(folder / "archive")
    batch = running.next_batch()
    assert batch.folders_moved == 1 and batch.summary.embedded_chunks == 0
    assert services.store.ids() == vectors
    assert str(folder / "archive" / "plan.txt") in paths(services)
    assert str(folder / "projects" / "plan.txt") not in paths(services)


def test_deleted_file_leaves_every_store(watched) -> None:
    running, folder = watched
    services = running.services
    (folder / "projects" / "plan.txt").unlink()
    batch = running.next_batch()
    assert batch.summary.removed == 1
    ids = services.catalog.chunk_ids()
    assert services.store.ids() == ids and services.catalog.fts_count() == len(ids)
    assert all("greenhouse" not in p.text for p in services.retriever.search("cedar", 5))


def test_polling_observer_sees_changes(services, tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    running = Running(services, folder, polling=True)
    try:
        (folder / "remote.txt").write_text("A file on a network drive about walruses.\n")
        assert running.next_batch().summary.added == 1
    finally:
        running.stop()


def test_unplugged_root_keeps_its_files_and_is_watched_again_when_back(services,
                                                                       tmp_path: Path) -> None:
    """A watched folder whose drive goes away is reported as a delete of the folder: its
    files must stay (unavailable), and the watch must come back with the drive."""
    drive = tmp_path / "media" / "usb"
    folder = drive / "notes"
    folder.mkdir(parents=True)
    (folder / "otters.md").write_text("# Otters\n\nOtters hold hands while they sleep.\n")
    running = Running(services, folder)
    try:
        away = tmp_path / "unplugged"
        drive.rename(away)
        batch = running.next_batch()
        assert batch.summary.removed == 0
        assert {r.state for r in services.catalog.files()} == {"unavailable"}
        assert services.search("otters sleep", 1)[0].path == str(folder / "otters.md")
        away.rename(drive)  # plugged back in: picked up in seconds, not at the next full scan
        batch = running.next_batch(timeout=10)
        assert batch.reconcile and batch.summary.embedded_chunks == 0
        assert {r.state for r in services.catalog.files()} == {"indexed"}
        (folder / "seals.md").write_text("# Seals\n\nSeals sleep in the water.\n")
        assert running.next_batch(timeout=10).summary.added == 1  # events flow again
    finally:
        running.stop()


def test_deleted_root_leaves_the_index(services, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "scratch"
    folder.mkdir()
    (folder / "idea.md").write_text("# Idea\n\nA bridge made of paper.\n")
    running = Running(services, folder)
    try:
        shutil.rmtree(folder)
        batch = running.next_batch()
        assert batch.summary.removed == 1 and services.catalog.files() == []
        assert services.store.ids() == set()
    finally:
        running.stop()


def test_links_made_in_a_watched_folder_are_not_followed(services, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A link to a hidden file, and a link to the home folder with a document's name (its
    event looks like a file's), arrive as events: neither brings anything in."""
    home = tmp_path / "user"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text("oauth_token: ghp_WatchedToken42\n")
    (home / "Documents").mkdir()
    (home / "Documents" / "diary.txt").write_text("Dear diary, a marmot ate my sandwich.\n")
    monkeypatch.setenv("HOME", str(home))
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "notes.md").write_text("# Notes\n\nThe heron nests by the lake.\n")
    running = Running(services, folder)
    try:
        (folder / "ci.yml").symlink_to(home / ".config" / "gh" / "hosts.yml")
        (folder / "vendor.md").symlink_to(home, target_is_directory=True)
        (folder / "fresh.md").write_text("# Fresh\n\nA note about kingfishers.\n")
        while str(folder / "fresh.md") not in paths(services):
            running.next_batch()
        assert running.no_batch(1.0)
        assert paths(services) == {str(folder / "notes.md"), str(folder / "fresh.md")}
    finally:
        running.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="byte names: Linux")
def test_a_watched_folder_named_in_latin1(services, tmp_path: Path) -> None:
    import os

    folder = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9"))
    folder.mkdir()
    (folder / "menu.txt").write_text("Today's menu: lentil soup and rye bread.\n")
    running = Running(services, folder)
    try:
        assert paths(services) == {path_key(str(folder / "menu.txt"))}
        (folder / "dessert.txt").write_text("Dessert: plum cake.\n")
        assert running.next_batch().summary.added == 1
    finally:
        running.stop()
