"""Keep watched folders indexed: OS file events (watchdog), debounced, plus reconcile scans.

Events are only hints. Bursts for one file become one update once the file has been quiet
for ``debounce_s``; an editor's save (write a temporary file, rename it over the original)
ends as one update of the real path, because the temporary name no longer exists when the
batch runs and the real path's content changed. A folder moved inside a watched tree only
has its paths rewritten. A reconcile scan at start-up and every ``reconcile_interval_s``
catches whatever the events missed (overflow, network drives, changes while closed).

The watcher never writes from the observer's thread: it queues hints, and :meth:`run`
applies them on the caller's thread, which is the index's one writer lane.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core import loaders
from assistant.core.ignore import IGNORE_FILE, IgnoreRules
from assistant.core.indexer import Indexer
from assistant.core.scanner import absolute
from assistant.core.types import FileFailed, IndexEvent, IndexSummary


@dataclass
class WatchStarted:
    folders: list[str]
    polling: bool


@dataclass
class BatchDone:
    """One applied batch of changes (a reconcile scan when ``reconcile`` is true)."""

    summary: IndexSummary
    reconcile: bool
    folders_moved: int = 0
    paths: list[str] = field(default_factory=list)


WatchEvent = WatchStarted | BatchDone | IndexEvent


MAX_WAIT_FACTOR = 10


class _Hints:
    """What the observer thread reports; drained by the writer thread."""

    def __init__(self) -> None:
        # (what: "file" | "dir", kind: watchdog's event type, src, dest or "")
        self.queue: queue.Queue[tuple[str, str, str, str]] = queue.Queue()

    def dispatch(self, event: Any) -> None:  # watchdog's handler interface
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if getattr(event, "dest_path", None) else ""
        self.queue.put(("dir" if event.is_directory else "file", kind, src, dest))


ROOT_CHECK_S = 2.0  # how often vanished roots are looked for (a re-plugged drive)
STOP_WAIT_S = 3.0  # how long stopping waits for watchdog's threads


class FolderWatcher:
    """Watches folders and keeps them indexed. Driven by one thread (the writer lane):
    :meth:`start`, then :meth:`step` in a loop, then :meth:`close`; or :meth:`run`, which does
    all three until :meth:`stop`."""

    def __init__(self, indexer: Indexer, folders: list[str | Path], rules: IgnoreRules,
                 debounce_s: float = 1.0, reconcile_interval_s: float = 900.0,
                 polling: bool = False):
        self.indexer = indexer
        self.folders = [absolute(f) for f in folders]
        self.rules = rules
        self.debounce_s = debounce_s
        self.reconcile_interval_s = reconcile_interval_s
        self.polling = polling
        self.stop_event = threading.Event()
        self._hints = _Hints()
        self._observer: Any = None
        self._scheduled: dict[str, Any] = {}  # root -> watchdog's ObservedWatch
        self._switch: tuple[Indexer, Any] | None = None
        self._switch_lock = threading.Lock()
        self._dirty: dict[str, float] = {}  # file path -> time of its last event
        self._vanished: dict[str, float] = {}
        self._folder_moves: list[tuple[str, str]] = []
        self._rescan: set[str] = set()
        self._pending_since: float | None = None
        self._next_reconcile = 0.0
        self._next_root_check = 0.0

    def switch_to(self, indexer: Indexer, on_switched: Any = None) -> None:
        """Move to another index (a rebuilt generation) from any thread. The watcher's own
        thread catches the new index up with a reconcile scan, then calls ``on_switched``."""
        with self._switch_lock:
            self._switch = (indexer, on_switched)

    # Observer ------------------------------------------------------------------------

    def _start_observer(self) -> None:
        if self.polling:
            from watchdog.observers.polling import PollingObserver as ObserverClass
        else:
            from watchdog.observers import Observer as ObserverClass
        self._observer = ObserverClass(timeout=0.5)
        self._observer.start()
        self._schedule_available()

    def _schedule_available(self) -> list[Path]:
        """Watch every folder that exists now; drop the watches of folders that vanished
        (an unplugged drive: no event says so when a parent folder goes), so they are
        watched again when they return, and scan those. Returns the folders that came
        (back) into view."""
        back = []
        for folder in self.folders:
            key = str(folder)
            exists = folder.is_dir()
            if key in self._scheduled and not exists:
                self._unschedule(key)
                self._rescan.add(key)
            elif key not in self._scheduled and exists and self._observer is not None:
                try:
                    self._scheduled[key] = self._observer.schedule(self._hints, key,
                                                                   recursive=True)
                    back.append(folder)
                except OSError:  # e.g. inotify watch limit: reconcile scans still cover it
                    pass
        return back

    def _unschedule(self, key: str) -> None:
        watch = self._scheduled.pop(key, None)
        if watch is not None and self._observer is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, OSError, RuntimeError):
                pass

    def _stop_observer(self) -> None:
        """Stop watchdog without waiting on it for ever: its own stop joins threads with no
        time limit, so it runs on a helper thread that is given a few seconds."""
        observer, self._observer = self._observer, None
        self._scheduled.clear()
        if observer is None:
            return

        def stop() -> None:
            try:
                observer.stop()
                observer.join(STOP_WAIT_S)
            except Exception:  # noqa: BLE001,S110 - shutting down: nothing left to save
                pass

        helper = threading.Thread(target=stop, name="assistant-watch-stop", daemon=True)
        helper.start()
        helper.join(STOP_WAIT_S)

    # Folders -------------------------------------------------------------------------

    def add_folders(self, folders: list[str | Path]) -> list[Path]:
        """Start watching more folders (from the driving thread); they are scanned now."""
        added = [absolute(f) for f in folders if absolute(f) not in self.folders]
        self.folders += added
        if self._observer is not None:
            self._schedule_available()
        self._rescan.update(str(f) for f in added)
        return added

    def remove_folders(self, folders: list[str | Path]) -> None:
        """Stop watching folders (their files stay indexed)."""
        drop = {absolute(f) for f in folders}
        self.folders = [f for f in self.folders if f not in drop]
        for f in drop:
            self._unschedule(str(f))

    # Filtering -----------------------------------------------------------------------

    def _root_of(self, path: Path) -> Path | None:
        for folder in self.folders:
            if path == folder or folder in path.parents:
                return folder
        return None

    def _wanted(self, path: Path, is_dir: bool) -> bool:
        root = self._root_of(path)
        if root is None:
            return False
        parent = path.parent
        while parent != root and root in parent.parents:
            if self.rules.dir_reason(parent, root):
                return False
            parent = parent.parent
        if is_dir:
            wanted = self.rules.dir_reason(path, root) is None
        else:
            wanted = loaders.is_supported(path) and self.rules.file_reason(path, root) is None
        # A link made in the folder (or one on the way) is judged by where it leads, as a
        # scan judges it: an event for it is a name the user did not give.
        return wanted and self.rules.way_reason(path, root) is None

    # Main loop -----------------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()

    def start(self) -> Iterator[WatchEvent]:
        """Start watching, then reconcile: everything that changed while nobody watched."""
        self._start_observer()
        yield WatchStarted([str(f) for f in self.folders], self.polling)
        yield from self._reconcile()
        now = time.monotonic()
        self._next_reconcile = now + self.reconcile_interval_s
        self._next_root_check = now + ROOT_CHECK_S

    def run(self) -> Iterator[WatchEvent]:
        """Reconcile, then apply changes as they settle, until :meth:`stop`."""
        try:
            yield from self.start()
            while not self.stop_event.is_set():
                yield from self.step(0.2)
        finally:
            self.close()

    def close(self) -> None:
        self._stop_observer()

    @property
    def busy(self) -> bool:
        """Changes are waiting to settle and be applied."""
        return bool(self._dirty or self._vanished or self._folder_moves or self._rescan)

    def step(self, wait: float) -> Iterator[WatchEvent]:
        """Wait up to ``wait`` seconds for changes, then apply those that have settled."""
        self._collect(wait)
        now = time.monotonic()
        if self._pending_since is None and self.busy:
            self._pending_since = now
        quiet = [t for t in self._dirty.values() if now - t >= self.debounce_s]
        gone = [t for t in self._vanished.values() if now - t >= self.debounce_s]
        if self._folder_moves or quiet or gone or self._rescan:
            # Wait until everything in flight has settled, so a rename's two halves stay in
            # one batch; but a file written non-stop is not starved forever.
            times = [*self._dirty.values(), *self._vanished.values()]
            settling = any(now - t < self.debounce_s for t in times)
            starved = (self._pending_since is not None
                       and now - self._pending_since > MAX_WAIT_FACTOR * self.debounce_s)
            if not settling or starved:
                batch = (list(self._dirty), list(self._vanished), self._folder_moves,
                         self._rescan)
                self._dirty, self._vanished = {}, {}
                self._folder_moves, self._rescan = [], set()
                self._pending_since = None
                yield from self._apply(*batch)
        with self._switch_lock:
            switch, self._switch = self._switch, None
        if switch is not None:
            self.indexer = switch[0]
            yield from self._reconcile()
            if switch[1] is not None:
                switch[1]()
        if now >= self._next_root_check:
            self._next_root_check = now + ROOT_CHECK_S
            back = self._schedule_available()
            if back:  # a re-plugged drive: catch up now, not at the next full scan
                yield from self._reconcile(back)
        if now >= self._next_reconcile:
            self._schedule_available()
            yield from self._reconcile()
            self._next_reconcile = time.monotonic() + self.reconcile_interval_s

    def _collect(self, wait: float) -> None:
        try:
            item = self._hints.queue.get(timeout=wait)
        except queue.Empty:
            return
        roots = {str(f) for f in self.folders}
        while True:
            what, kind, src, dest = item
            now = time.monotonic()
            for p in (src, dest):
                if p and Path(p).name == IGNORE_FILE:
                    self.rules.forget_cached(Path(p).parent)
                    root = self._root_of(Path(p))
                    if root:
                        self._rescan.add(str(root))
            if src in roots and kind in ("deleted", "moved"):
                # A watched folder itself went away: deleted, moved off, or its drive
                # unmounted. The scan tells which (an unplugged drive keeps its files).
                self._unschedule(src)
                self._rescan.add(src)
            elif what == "dir":
                if kind == "moved" and dest:
                    if self._root_of(Path(dest)) and self._wanted(Path(dest), True):
                        self._folder_moves.append((src, dest))
                    else:  # moved away, or to a name (or through a link) that is skipped
                        self._vanished[src] = now
                elif kind == "deleted":
                    self._vanished[src] = now
                elif kind == "created" and self._wanted(Path(src), True):
                    self._rescan.add(src)  # a folder appeared (copied in, or moved in)
            else:
                if kind == "moved" and dest:
                    self._vanished[src] = now
                    if self._wanted(Path(dest), False):
                        self._dirty[dest] = now
                elif kind == "deleted":
                    self._vanished[src] = now
                elif self._wanted(Path(src), False):
                    self._dirty[src] = now
            try:
                item = self._hints.queue.get_nowait()
            except queue.Empty:
                return

    def _apply(self, dirty: list[str], vanished: list[str], folder_moves: list[tuple[str, str]],
               rescan: set[str]) -> Iterator[WatchEvent]:
        moved = 0
        for src, dest in folder_moves:
            count, stale = self.indexer.catalog.move_folder(src, dest)
            self.indexer.store.delete(stale)
            moved += count
            rescan.add(dest)
        roots = {str(f) for f in self.folders}
        # A watched folder is scanned as a root: if it is gone, the indexer decides between
        # deleted (its files leave) and unplugged (they stay, unavailable).
        whole = sorted(r for r in rescan if r in roots)
        paths = sorted((set(dirty) | rescan) - set(whole))
        summary = IndexSummary()
        if whole:
            summary = yield from self._index(whole)
        if paths or vanished or not whole:
            part = yield from self._index(paths, vanished=vanished, missing_ok=True)
            summary = _merged(summary, part)
        yield BatchDone(summary, reconcile=False, folders_moved=moved, paths=whole + paths)

    def _index(self, paths: list[str], **kwargs: Any) -> Iterator[WatchEvent]:
        summary = None
        for event in self.indexer.index(paths, **kwargs):
            if isinstance(event, IndexSummary):
                summary = event
            elif isinstance(event, FileFailed):
                yield event
        assert summary is not None
        return summary

    def _reconcile(self, folders: list[Path] | None = None) -> Iterator[WatchEvent]:
        summary = None
        for event in self.indexer.index(folders if folders is not None else self.folders):
            if isinstance(event, IndexSummary):
                summary = event
            else:
                yield event
        assert summary is not None
        yield BatchDone(summary, reconcile=True)


def _merged(a: IndexSummary, b: IndexSummary) -> IndexSummary:
    return IndexSummary(a.added + b.added, a.updated + b.updated, a.unchanged + b.unchanged,
                        a.moved + b.moved, a.removed + b.removed, a.failed + b.failed,
                        a.embedded_chunks + b.embedded_chunks, a.seconds + b.seconds,
                        a.errors + b.errors)
