"""The writer lane: one thread that owns the data directory's writer lock, the indexer, the
folder watcher and background rebuilds of index generations.

Any thread sends it requests (index these paths, forget, watch/unwatch, rescan, retry the
failed files, rebuild) and may pause, resume or stop it; it reports progress and results as
the engine's typed events, to listeners and to each request's own event stream. The command
line (``index``, ``watch``, ``reindex``) and the desktop app drive the same lane, so there is
one way to write an index, not one per front end.

Stopping is prompt and safe: the indexer checks between files and between embedding
batches, and a stopped batch leaves the index in the state a crash would, which the next
start repairs without embedding again what was already stored.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assistant.core.catalog import FAILED, NEW
from assistant.core.errors import AssistantError
from assistant.core.indexer import Indexer, IndexInterrupted
from assistant.core.scanner import absolute, named_reason
from assistant.core.types import (
    IndexProgress,
    IndexSummary,
    RebuildDone,
    RebuildProgress,
    RebuildStarted,
    RequestDone,
    WriterState,
)
from assistant.core.watcher import FolderWatcher

Listener = Callable[[Any], None]
_DONE = object()


class WriterHost(Protocol):
    """What the lane needs from the composition root (assistant.services.Services)."""

    writer_lock: Any
    generations: Any
    rules: Any

    def make_indexer(self, generation: Any) -> Indexer: ...
    def build_wanted(self, indexer: Indexer, estimate: bool = True) -> Iterator[Any]: ...
    def activate(self, generation: Any) -> None: ...
    def remember_folders(self, folders: list[str], excluded: list[str]) -> None: ...


class WriterStopped(Exception):  # noqa: N818 - a state, not a failure
    """The lane is not running (stopped, or never started)."""


@dataclass
class Request:
    """One piece of work for the lane. Follow it with :meth:`events` or :meth:`wait`."""

    id: int
    kind: str
    paths: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    result: RequestDone | None = None
    _events: queue.Queue[Any] = field(default_factory=queue.Queue)
    _cancel: threading.Event = field(default_factory=threading.Event)

    def events(self, poll: float = 0.2,
               give_up: Callable[[], bool] | None = None) -> Iterator[Any]:
        """This request's events as they happen, ending with its :class:`RequestDone`, or
        earlier, between events, once ``give_up()`` is true. Waits in short steps, so Ctrl+C
        on the consuming (main) thread is handled promptly."""
        while True:
            try:
                event = self._events.get(timeout=poll)
            except queue.Empty:
                if give_up is not None and give_up():
                    return
                continue
            if event is _DONE:
                return
            yield event

    def wait(self, timeout: float | None = None) -> RequestDone | None:
        self.done.wait(timeout)
        return self.result

    def cancel(self) -> None:
        """Stop this request between files (what was indexed so far is kept)."""
        self._cancel.set()


class IndexWriter:
    """The writer lane. :meth:`start` takes the writer lock (raising the clear "another
    process is indexing" error on the caller's thread) and starts the thread."""

    def __init__(self, host: WriterHost, folders: list[str], polling: bool = False,
                 watch: bool = True, debounce_s: float = 1.0,
                 reconcile_interval_s: float = 900.0, auto_rebuild: bool = True):
        self.host = host
        self.folders = [str(absolute(f)) for f in folders]
        self.polling = polling
        self.watching = watch
        self.debounce_s = debounce_s
        self.reconcile_interval_s = reconcile_interval_s
        self.auto_rebuild = auto_rebuild
        self.state = "stopped"
        self.failure = ""  # why the lane stopped on its own, when it did
        self._listeners: list[Listener] = []
        self._emit_lock = threading.RLock()
        self._requests: queue.Queue[Request] = queue.Queue()
        self._accepting = threading.Lock()  # no request slips in after the lane shut
        self._closed = False
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._thread: threading.Thread | None = None
        self._indexer: Indexer | None = None
        self._watcher: FolderWatcher | None = None
        self._current: Request | None = None
        self._rebuild: threading.Thread | None = None
        self._rebuild_indexer: Indexer | None = None  # the rebuild thread's, while it runs
        self._rebuilt: tuple[Any, Indexer] | None = None  # (generation, its indexer)
        self._rebuild_lock = threading.Lock()
        self._since_rebuild: list[tuple[str, list[str]]] = []  # replayed at the switch

    # Listening -------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """``listener(event)`` for every event; called from the lane's threads, one call at
        a time."""
        self._listeners.append(listener)

    def _emit(self, event: Any, request: Request | None = None) -> None:
        with self._emit_lock:
            if request is not None:
                request._events.put(event)
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # noqa: BLE001,S110 - a listener's bug must not stop indexing
                    pass

    def _set_state(self, state: str, detail: str = "") -> None:
        if state == "failed":
            self.failure = detail
        if (state, detail) != (self.state, getattr(self, "_detail", "")):
            self.state, self._detail = state, detail
            self._emit(WriterState(state, detail))

    # Control from any thread -----------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> IndexWriter:
        if self.running:
            return self
        self.host.writer_lock.acquire()
        self._stop.clear()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="assistant-writer", daemon=True)
        self._set_state("starting")
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0, leave_if_quiet: bool = False) -> bool:
        """Stop after the current step (one file, or one embedding batch); True when the lane
        stopped within ``timeout``. With ``leave_if_quiet``, stop waiting (False) as soon as
        the lane is :attr:`quiet`: a process that is ending need not wait for an import."""
        self._stop.set()
        self._resume.set()
        if self._current is not None:
            self._current.cancel()
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            alive = [t for t in (self._thread, self._rebuild) if t is not None
                     and t.is_alive() and t is not threading.current_thread()]
            left = deadline - time.monotonic()
            if not alive or left <= 0 or (leave_if_quiet and self.quiet):
                return not self.running
            alive[0].join(min(left, 0.05 if leave_if_quiet else left))

    @property
    def quiet(self) -> bool:
        """Whether every running thread of the lane is inside a step that writes nothing and
        cannot be interrupted (loading the embedding model): leaving the process now loses
        no more than a crash would, and the next start repairs that."""
        lanes = ((self._thread, self._indexer), (self._rebuild, self._rebuild_indexer))
        running = [indexer for thread, indexer in lanes
                   if thread is not None and thread.is_alive()]
        return bool(running) and all(i is not None and i.quiet.is_set() for i in running)

    def pause(self) -> None:
        """Hold indexing between files until :meth:`resume` (questions still work)."""
        self._resume.clear()
        if self.running:
            self._set_state("paused")

    def resume(self) -> None:
        self._resume.set()
        if self.running:
            self._set_state("indexing" if self._current or self._rebuild_alive() else "idle")

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def _submit(self, kind: str, paths: list[str] | None = None) -> Request:
        request = Request(next(self._ids), kind, [os.fspath(p) for p in paths or []])
        with self._accepting:
            if self._closed or self._stop.is_set() or not self.running:
                raise WriterStopped(self.failure or "the index writer is not running")
            self._requests.put(request)
        return request

    def index(self, paths: list[str | Path]) -> Request:
        """Index files and folders (given explicitly: a forgotten one comes back)."""
        return self._submit("index", [str(absolute(p)) for p in paths])

    def forget(self, paths: list[str | Path]) -> Request:
        """Remove files or folders from the index. Inside a watched folder they are also
        excluded, so the next scan does not bring them back; a watched folder itself stops
        being watched."""
        return self._submit("forget", [str(absolute(p)) for p in paths])

    def watch(self, folders: list[str | Path]) -> Request:
        return self._submit("watch", [str(absolute(p)) for p in folders])

    def unwatch(self, folders: list[str | Path]) -> Request:
        return self._submit("unwatch", [str(absolute(p)) for p in folders])

    def rescan(self) -> Request:
        return self._submit("rescan")

    def retry_failed(self, paths: list[str | Path] | None = None) -> Request:
        """Try the failed files (or these ones) again, even if they did not change."""
        return self._submit("retry", [str(absolute(p)) for p in paths or []])

    def rebuild(self) -> Request:
        """Build the index the current settings ask for in the background (if needed)."""
        return self._submit("rebuild")

    # The lane --------------------------------------------------------------------

    def _interrupt(self, request: Request | None = None) -> Callable[[], None]:
        def check() -> None:
            while not self._resume.is_set() and not self._stop.is_set():
                self._resume.wait(0.2)
            if self._stop.is_set() or (request is not None and request._cancel.is_set()):
                raise IndexInterrupted()
        return check

    def _run(self) -> None:
        try:
            generations = self.host.generations
            self._indexer = self.host.make_indexer(generations.active)
            self._indexer.interrupt = self._interrupt()
            report = getattr(self.host, "repair_report", None)
            if report is not None and report.changed:
                self._emit(report)
            if self.watching and self.folders:
                self._start_watching()
            if self.auto_rebuild and generations.rebuild_pending:
                self._start_rebuild()
            self._settle()
            while not self._stop.is_set():
                self._switch_if_rebuilt()
                if self.paused:
                    self._resume.wait(0.2)
                    continue
                try:
                    request = self._requests.get(timeout=0.05 if self._watcher else 0.2)
                except queue.Empty:
                    request = None
                if request is not None:
                    self._handle(request)
                elif self._watcher is not None:
                    self._relay(self._watcher.step(0.1))
        except IndexInterrupted:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported, and the lane stops cleanly
            self._set_state("failed", str(exc) if isinstance(exc, AssistantError)
                            else f"{type(exc).__name__}: {exc}")
        finally:
            self._shutdown()

    def _relay(self, events: Iterator[Any], request: Request | None = None) -> Any:
        """Pass events on; return the IndexSummary if one goes by."""
        summary = None
        busy = False
        for event in events:
            if isinstance(event, IndexProgress) and not busy:
                busy = True
                self._set_state("indexing")
            if isinstance(event, IndexSummary):
                summary = event
            self._emit(event, request)
        if busy:
            self._settle()
        return summary

    def _settle(self) -> None:
        self._set_state("paused" if self.paused else "idle")

    def _start_watching(self) -> None:
        assert self._indexer is not None
        self._watcher = FolderWatcher(self._indexer, list(self.folders), self.host.rules,
                                      self.debounce_s, self.reconcile_interval_s, self.polling)
        self._relay(self._watcher.start())

    def _handle(self, request: Request) -> None:
        self._current = request
        assert self._indexer is not None
        self._indexer.interrupt = self._interrupt(request)
        summary, error, cancelled = None, "", False
        try:
            handler = getattr(self, f"_do_{request.kind}")
            summary = handler(request)
        except IndexInterrupted:
            cancelled = True
        except Exception as exc:  # noqa: BLE001 - the request fails, the lane goes on
            error = str(exc) or type(exc).__name__
        finally:
            self._indexer.interrupt = self._interrupt()
            self._current = None
        request.result = RequestDone(request.id, request.kind, summary, error, cancelled)
        self._emit(request.result, request)
        request._events.put(_DONE)
        request.done.set()
        if self._stop.is_set() and cancelled:
            raise IndexInterrupted()

    def _do_index(self, request: Request) -> IndexSummary | None:
        assert self._indexer is not None
        rules = self.host.rules
        back = [p for p in request.paths if rules.is_excluded(Path(p))]
        if back:  # named explicitly: no longer forgotten
            self._set_excluded([e for e in rules.excluded if e not in back and
                                not any(e.startswith(b.rstrip(os.sep) + os.sep)
                                        for b in back)])
        self._note("index", request.paths)
        return self._relay(self._indexer.index(request.paths), request)

    def _do_forget(self, request: Request) -> IndexSummary:
        assert self._indexer is not None
        summary = IndexSummary()
        for path in request.paths:
            removed = self._indexer.forget(path)
            if not removed and path not in self.folders:
                raise FileNotFoundError(f"{path} is not in the index")
            summary.removed += removed
        self._note("forget", request.paths)
        roots = [p for p in request.paths if p in self.folders]
        inside = [p for p in request.paths if p not in self.folders and
                  any(p.startswith(f.rstrip(os.sep) + os.sep) for f in self.folders)]
        if roots:
            self._unwatch(roots)
        if inside:
            self._set_excluded(list(self.host.rules.excluded) + inside)
        return summary

    def _do_watch(self, request: Request) -> IndexSummary | None:
        new = [f for f in request.paths if f not in self.folders]
        for folder in new:
            if not Path(folder).is_dir():
                raise NotADirectoryError(f"{folder} is not a folder")
            reason = named_reason(Path(folder), self.host.rules)
            if reason is not None:  # it would be skipped at every scan
                raise AssistantError(f"{folder} is not watched ({reason})")
        self.folders += new
        self.host.remember_folders(self.folders, list(self.host.rules.excluded))
        if self._watcher is None:
            self.watching = True
            self._start_watching()
            return None
        self._watcher.add_folders(new)
        return None

    def _do_unwatch(self, request: Request) -> None:
        self._unwatch(request.paths)

    def _unwatch(self, folders: list[str]) -> None:
        self.folders = [f for f in self.folders if f not in folders]
        if self._watcher is not None:
            self._watcher.remove_folders(list(folders))
        self.host.remember_folders(self.folders, list(self.host.rules.excluded))

    def _do_rescan(self, request: Request) -> IndexSummary | None:
        assert self._indexer is not None
        if not self.folders:
            return None
        return self._relay(self._indexer.index(self.folders), request)

    def _do_retry(self, request: Request) -> IndexSummary | None:
        assert self._indexer is not None
        catalog = self._indexer.catalog
        failed = [r for r in catalog.files(FAILED)
                  if not request.paths or r.path in request.paths]
        catalog.set_state([r.id for r in failed], NEW)  # skip the "known bad" shortcut
        if not failed:
            return IndexSummary()
        return self._relay(self._indexer.index([r.path for r in failed]), request)

    def _do_rebuild(self, request: Request) -> None:
        if self.host.generations.rebuild_pending and not self._rebuild_alive():
            self._start_rebuild()

    def _set_excluded(self, excluded: list[str]) -> None:
        unique = list(dict.fromkeys(excluded))
        self.host.rules.set_excluded(unique)
        self.host.remember_folders(self.folders, unique)

    def _note(self, kind: str, paths: list[str]) -> None:
        """Changes made while a rebuild runs are made again on the new index at the switch."""
        if self._rebuild_alive() or self._rebuilt is not None:
            self._since_rebuild.append((kind, list(paths)))

    # Background rebuild ----------------------------------------------------------

    def _rebuild_alive(self) -> bool:
        return self._rebuild is not None and self._rebuild.is_alive()

    def _start_rebuild(self) -> None:
        self._since_rebuild = []
        self._rebuild_indexer = None
        self._rebuild = threading.Thread(target=self._build, name="assistant-rebuild",
                                         daemon=True)
        self._rebuild.start()

    def _build(self) -> None:
        t0 = time.perf_counter()
        target = self.host.generations.wanted
        indexer = None
        try:
            indexer = self._rebuild_indexer = self.host.make_indexer(target)
            indexer.interrupt = self._interrupt()
            files, summary = 0, None
            for event in self.host.build_wanted(indexer):
                if isinstance(event, RebuildStarted):
                    files = event.files
                    self._emit(event)
                elif isinstance(event, IndexProgress):
                    self._emit(RebuildProgress(event))
                elif isinstance(event, IndexSummary):
                    summary = event
                else:
                    self._emit(event)
        except IndexInterrupted:
            if indexer is not None:
                indexer.close()
            return
        except Exception as exc:  # noqa: BLE001 - the old index keeps answering
            if indexer is not None:
                indexer.close()
            self._set_state("failed", f"rebuilding the index failed: {exc}")
            return
        with self._rebuild_lock:
            self._rebuilt = (target, indexer)
        self._rebuild_done = RebuildDone(files, summary.embedded_chunks if summary else 0,
                                         time.perf_counter() - t0)

    def _switch_if_rebuilt(self) -> None:
        """On the lane's thread: move to the rebuilt index, catch it up, then make it the
        one that answers."""
        with self._rebuild_lock:
            rebuilt, self._rebuilt = self._rebuilt, None
        if rebuilt is None:
            return
        target, indexer = rebuilt
        old = self._indexer
        indexer.interrupt = self._interrupt()
        self._indexer = indexer
        for kind, paths in self._since_rebuild:
            if kind == "index":
                self._relay(indexer.index(paths))
            else:
                for path in paths:
                    indexer.forget(path)
        self._since_rebuild = []
        if self._watcher is not None:
            self._watcher.indexer = indexer
            self._relay(self._watcher._reconcile())
        self.host.activate(target)
        if old is not None:
            old.close()
        self._emit(self._rebuild_done)
        if self.host.generations.rebuild_pending:  # the settings changed again meanwhile
            self._start_rebuild()

    # Shutting down ---------------------------------------------------------------

    def _shutdown(self) -> None:
        self._set_state("stopping")
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        if self._rebuild is not None:
            self._rebuild.join(10)
        with self._rebuild_lock:
            rebuilt, self._rebuilt = self._rebuilt, None
        if rebuilt is not None:  # built but not switched to: the next start resumes it
            rebuilt[1].close()
        if self._indexer is not None:
            self._indexer.close()
            self._indexer = None
        with self._accepting:
            self._closed = True
        while True:  # requests nobody will handle: end their streams
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                break
            request.result = RequestDone(request.id, request.kind, None, self.failure,
                                         not self.failure)
            request._events.put(request.result)
            request._events.put(_DONE)
            request.done.set()
        self.host.writer_lock.release()
        self._set_state("stopped")
