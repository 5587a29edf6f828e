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


class FolderWatcher:
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
        self._scheduled: set[str] = set()
        self._switch: tuple[Indexer, Any] | None = None
        self._switch_lock = threading.Lock()

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

    def _schedule_available(self) -> None:
        """Watch every folder that exists now (an unplugged drive is picked up when back)."""
        for folder in self.folders:
            key = str(folder)
            if key in self._scheduled or not folder.is_dir():
                continue
            try:
                self._observer.schedule(self._hints, key, recursive=True)
                self._scheduled.add(key)
            except OSError:  # e.g. inotify watch limit: reconcile scans still cover it
                pass

    def _stop_observer(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
            self._scheduled.clear()

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
            return self.rules.dir_reason(path, root) is None
        return loaders.is_supported(path) and self.rules.file_reason(path, root) is None

    # Main loop -----------------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> Iterator[WatchEvent]:
        """Reconcile, then apply changes as they settle, until :meth:`stop` (or Ctrl+C)."""
        self._start_observer()
        try:
            yield WatchStarted([str(f) for f in self.folders], self.polling)
            yield from self._reconcile()
            next_reconcile = time.monotonic() + self.reconcile_interval_s
            dirty: dict[str, float] = {}  # file path -> time of its last event
            vanished: dict[str, float] = {}
            folder_moves: list[tuple[str, str]] = []
            rescan: set[str] = set()
            pending_since: float | None = None
            while not self.stop_event.is_set():
                self._collect(dirty, vanished, folder_moves, rescan, wait=0.2)
                now = time.monotonic()
                if pending_since is None and (dirty or vanished or folder_moves or rescan):
                    pending_since = now
                quiet = [p for p, t in dirty.items() if now - t >= self.debounce_s]
                gone = [p for p, t in vanished.items() if now - t >= self.debounce_s]
                times = [*dirty.values(), *vanished.values()]
                if folder_moves or quiet or gone or rescan:
                    # Wait until everything in flight has settled, so a rename's two halves
                    # stay in one batch; but a file written non-stop is not starved forever.
                    settling = any(now - t < self.debounce_s for t in times)
                    starved = (pending_since is not None
                               and now - pending_since > MAX_WAIT_FACTOR * self.debounce_s)
                    if settling and not starved:
                        continue
                    yield from self._apply(list(dirty), list(vanished), folder_moves, rescan)
                    dirty.clear()
                    vanished.clear()
                    folder_moves.clear()
                    rescan.clear()
                    pending_since = None
                with self._switch_lock:
                    switch, self._switch = self._switch, None
                if switch is not None:
                    self.indexer = switch[0]
                    yield from self._reconcile()
                    if switch[1] is not None:
                        switch[1]()
                if now >= next_reconcile:
                    self._schedule_available()
                    yield from self._reconcile()
                    next_reconcile = time.monotonic() + self.reconcile_interval_s
        finally:
            self._stop_observer()

    def _collect(self, dirty: dict[str, float], vanished: dict[str, float],
                 folder_moves: list[tuple[str, str]], rescan: set[str], wait: float) -> None:
        try:
            item = self._hints.queue.get(timeout=wait)
        except queue.Empty:
            return
        while True:
            what, kind, src, dest = item
            now = time.monotonic()
            for p in (src, dest):
                if p and Path(p).name == IGNORE_FILE:
                    self.rules.forget_cached(Path(p).parent)
                    root = self._root_of(Path(p))
                    if root:
                        rescan.add(str(root))
            if what == "dir":
                if kind == "moved" and dest:
                    if self._root_of(Path(dest)):
                        folder_moves.append((src, dest))
                    else:
                        vanished[src] = now
                elif kind == "deleted":
                    vanished[src] = now
                elif kind == "created" and self._wanted(Path(src), True):
                    rescan.add(src)  # a folder appeared (copied in, or moved in from outside)
            else:
                if kind == "moved" and dest:
                    vanished[src] = now
                    if self._wanted(Path(dest), False):
                        dirty[dest] = now
                elif kind == "deleted":
                    vanished[src] = now
                elif self._wanted(Path(src), False):
                    dirty[src] = now
            try:
                item = self._hints.queue.get_nowait()
            except queue.Empty:
                return

    def _apply(self, dirty: list[str], vanished: list[str], folder_moves: list[tuple[str, str]],
               rescan: set[str]) -> Iterator[WatchEvent]:
        moved = 0
        for src, dest in folder_moves:
            moved += self.indexer.catalog.move_folder(src, dest)
            rescan.add(dest)
        paths = sorted(set(dirty) | rescan)
        summary = None
        for event in self.indexer.index(paths, vanished=vanished, missing_ok=True):
            if isinstance(event, IndexSummary):
                summary = event
            elif isinstance(event, FileFailed):
                yield event
        assert summary is not None
        yield BatchDone(summary, reconcile=False, folders_moved=moved, paths=paths)

    def _reconcile(self) -> Iterator[WatchEvent]:
        summary = None
        for event in self.indexer.index(self.folders):
            if isinstance(event, IndexSummary):
                summary = event
            else:
                yield event
        assert summary is not None
        yield BatchDone(summary, reconcile=True)
