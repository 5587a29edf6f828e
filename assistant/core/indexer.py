"""Index files and folders: scan, read, parse (in a limited child process), chunk, embed,
store. Yields progress events. A reader thread reads, parses and chunks the next files while
the encoder embeds the current ones; everything that writes stays on the caller's thread.

Incremental: a file with the same size and modification time is not read; one with the same
content hash is not parsed or embedded; one whose content reappears under a new path (moved,
renamed) only has its path updated.

Crash safety, per batch of files: (1) the catalog records each file as ``indexing`` with the
hash of the content being written; (2) vectors not already in the store are embedded and
added; (3) one catalog transaction per file swaps in its chunks and FTS rows and marks it
``indexed``; (4) the file's old vectors are deleted. A kill at any point leaves a state that
:meth:`Indexer.repair` fixes on the next start: vectors the catalog doesn't know are deleted
(except those of an interrupted file, which the next run reuses instead of embedding again),
and files whose vectors went missing are indexed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.catalog import (
    FAILED,
    INDEXED,
    INDEXING,
    NEW,
    UNAVAILABLE,
    Catalog,
    FileRecord,
    chunk_id,
    chunk_id_prefix,
)
from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder
from assistant.core.errors import LoaderError, read_error
from assistant.core.faults import checkpoint
from assistant.core.ignore import IgnoreRules
from assistant.core.parsing import ParserProcess
from assistant.core.scanner import FoundFile, Skipped, absolute, scan
from assistant.core.store import VectorStore
from assistant.core.types import Chunk, FileFailed, IndexEvent, IndexProgress, IndexSummary

READ_ATTEMPTS = 3
CARRIED = "carried-"  # content-hash prefix of passages carried over from another generation
# Failures worth another try on the next scan even if the file looks the same.
TRANSIENT = {"permission-denied", "vanished", "changing", "crashed", "unreadable"}


class IndexInterrupted(Exception):  # noqa: N818 - a request, not a failure
    """Raised between steps when the writer is asked to stop. What was written so far is
    consistent: the next run (or :meth:`Indexer.repair`) picks up where this one stopped,
    reusing the vectors already stored."""


@dataclass
class _Pending:
    file_id: int
    path: str
    chunks: list[Chunk]
    content_hash: str
    size: int
    mtime_ns: int
    is_new: bool
    state: str = INDEXED


@dataclass
class _Read:
    """What the reader thread made of one file."""
    item: FoundFile
    record: FileRecord | None
    digest: str = ""
    size: int = 0
    mtime_ns: int = 0
    chunks: list[Chunk] | None = None  # None: not parsed (content already known)
    error: LoaderError | None = None
    data: bytes | None = None  # kept only for a possibly moved file

    @property
    def unchanged(self) -> bool:
        """The catalog has this content for this path already (only its date changed)."""
        r = self.record
        return bool(r and r.state in (INDEXED, UNAVAILABLE) and r.content_hash == self.digest)


@dataclass
class _ToRead:
    """_check's answer for a file that must be read: what the catalog has of it."""
    record: FileRecord | None


@dataclass
class RepairReport:
    orphan_vectors_deleted: int = 0
    files_reindexed: list[str] = field(default_factory=list)
    fts_rebuilt: bool = False
    interrupted_files: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.orphan_vectors_deleted or self.files_reindexed or self.fts_rebuilt)


def _embedded(chunk: Chunk) -> str:
    """The text a chunk is embedded as: its context (title, heading path), then its text."""
    return f"{chunk.context}\n{chunk.text}" if chunk.context else chunk.text


def _inside(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


LATER_FLUSH_FACTOR = 4
STORE_BATCH = 64  # vectors per write to the store (see _flush)
# For chunks of unknown length in word pieces (read back from the catalog): characters per
# word piece, 4.8 in the eval's Wikipedia prose and 3.2 in package documentation.
CHARS_PER_PIECE = 4
# How far the reader thread may run ahead of the encoder: enough files to prepare a whole
# later flush while the one before is embedded (small notes: ~340 files per 1,024 chunks),
# and few enough bytes that memory stays bounded whatever the files are.
READ_AHEAD_FILES = 1024
READ_AHEAD_BYTES = 64 * 1024 * 1024


class Indexer:
    def __init__(self, catalog: Catalog, store: VectorStore, embedder: Embedder,
                 chunker: Chunker, rules: IgnoreRules, parser: ParserProcess,
                 max_file_bytes: int, flush_chunks: int = 256,
                 interrupt: Callable[[], None] | None = None):
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.rules = rules
        self.parser = parser
        self.max_file_bytes = max_file_bytes
        self.flush_chunks = flush_chunks
        # Called between files and between embedding batches: raises IndexInterrupted to stop
        # (the writer lane's Stop/Quit), or blocks while indexing is paused.
        self.interrupt = interrupt or (lambda: None)
        # Set while this indexer is inside a step that writes nothing and that no interrupt
        # can cut short (the embedding model's imports: 5-6 s on a loaded 2-core machine; an
        # embedding batch).
        # A process that ends meanwhile leaves what a crash would, which repair() fixes
        # without embedding again, so a stop need not wait for the step (IndexWriter.quiet).
        self.quiet = threading.Event()
        self._root_devices: dict[str, int] = {}

    # Repair --------------------------------------------------------------------------

    def repair(self) -> RepairReport:
        """Make catalog, FTS and vector store agree after a crash or kill."""
        report = RepairReport()
        catalog_ids = self.catalog.chunk_ids()
        interrupted = self.catalog.files(INDEXING)
        report.interrupted_files = len(interrupted)
        reusable = tuple(chunk_id_prefix(f.id, f.pending_hash) for f in interrupted
                         if f.pending_hash)
        store_ids = self.store.ids()
        orphans = [i for i in store_ids - catalog_ids if not i.startswith(reusable or ("\0",))]
        if orphans:
            self.store.delete(orphans)
        report.orphan_vectors_deleted = len(orphans)
        missing = catalog_ids - store_ids
        if missing:
            broken = {int(i.split("-", 1)[0]) for i in missing}
            records = [r for r in (self.catalog.file_by_id(fid) for fid in broken) if r]
            self.catalog.set_state([r.id for r in records], NEW)
            report.files_reindexed = [r.key for r in records]
        # a file marked indexed must have the chunks it claims
        counts = self.catalog.chunk_counts_by_file()
        wrong = [r for r in self.catalog.files(INDEXED) if counts.get(r.id, 0) != r.chunk_count]
        if wrong:
            self.catalog.set_state([r.id for r in wrong], NEW)
            report.files_reindexed += [r.key for r in wrong]
        report.fts_rebuilt = not self.catalog.check_fts()
        return report

    # Indexing ------------------------------------------------------------------------

    def index(self, paths: Iterable[Path | str], vanished: Iterable[str] = (),
              missing_ok: bool = False) -> Iterator[IndexEvent]:
        """Bring the index up to date with ``paths`` (files and folders).

        ``vanished`` names files or folders the caller saw disappear (the watcher); what the
        catalog has there is removed, unless it turns up among ``paths`` with the same
        content, in which case it was moved and only its path changes. With ``missing_ok``
        a path in ``paths`` that no longer exists counts as vanished, not as an error.

        A folder that can't be listed right now (permissions changing, a network drive's
        hiccup) keeps its files, marked unavailable, instead of losing and re-embedding them.
        """
        t0 = time.perf_counter()
        roots = [absolute(p) for p in paths]
        summary = IndexSummary()
        found: dict[str, FoundFile] = {}
        unlisted: list[str] = []  # folders the scan could not read: their files stay
        vanished = list(vanished)
        for item in scan(roots, self.rules):
            if isinstance(item, FoundFile):
                found[item.path] = item
            elif missing_ok and item.reason == "not found":
                vanished.append(item.path)
            elif item.explicit:
                event: FileFailed | None
                if item.reason == "not found":
                    removed, event = self._unreachable_root(item)
                    summary.removed += removed
                else:
                    event = FileFailed(item.path, item.reason.replace(" ", "-"),
                                       f"{item.path}: skipped ({item.reason})")
                if event is not None:
                    summary.failed += 1
                    summary.errors.append(event)
                    yield event
            elif item.reason.startswith("cannot be"):
                unlisted.append(item.path)
        self._remember_roots(roots)

        # Files the catalog has in the scanned folders that the scan didn't find: moved
        # (matched by content below), deleted, or now ignored.
        gone: dict[int, FileRecord] = {
            record.id: record
            for root in roots if root.is_dir()
            for record in self.catalog.files_under(str(root)) if record.path not in found
        }
        for path in vanished:
            for record in self.catalog.files_under(str(absolute(path))):
                if record.path not in found and not os.path.exists(record.path):
                    gone[record.id] = record
        if unlisted:
            hidden = [r for r in gone.values() if _inside(r.path, unlisted)]
            for record in hidden:
                gone.pop(record.id)
            self.catalog.set_state([r.id for r in hidden if r.state != FAILED], UNAVAILABLE)
        gone_by_hash: dict[str, list[FileRecord]] = {}
        for record in gone.values():
            if record.content_hash and not os.path.exists(record.path):
                gone_by_hash.setdefault(record.content_hash, []).append(record)

        total = len(found)
        done = 0
        pending: list[_Pending] = []
        # Files are read, hashed, parsed and chunked by a reader thread (the parsing itself in
        # the child process) a little ahead of this one, so that work overlaps the encoder's
        # batches instead of alternating with them. Catalog writes stay on this thread, in
        # the order they had: the crash-safety steps are unchanged.
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-reader")
        cancel = threading.Event()
        window: deque[Future[_Read]] = deque()
        held = 0  # bytes of the files in the window
        maybe_moved = frozenset(gone_by_hash)

        def progress(current: str) -> IndexProgress:
            elapsed = time.perf_counter() - t0
            rate = summary.embedded_chunks / elapsed if elapsed > 0 else 0.0
            eta = elapsed / done * (total - done) if done else None
            return IndexProgress(done, total, current, summary.embedded_chunks, rate, eta,
                                 summary.failed)

        def take(outcome: _Pending | FileFailed | None, path: str) -> Iterator[IndexEvent]:
            nonlocal done, pending
            if isinstance(outcome, FileFailed):
                summary.failed += 1
                summary.errors.append(outcome)
                done += 1
                yield outcome
            elif outcome is None:
                done += 1
            else:
                pending.append(outcome)
                # The first flush comes early (the first files are searchable within
                # seconds); later ones are larger, so more chunks of similar length meet
                # in a batch (300 small notes: 0.77 of a bare encode with 256, 0.96 with 1024).
                limit = self.flush_chunks * (LATER_FLUSH_FACTOR if done else 1)
                if sum(len(p.chunks) for p in pending) >= limit:
                    done += self._flush(pending, summary)
                    pending = []
            yield progress(path)

        def settle_oldest() -> Iterator[IndexEvent]:
            nonlocal held
            while True:  # a stop request is heard while a long file is being parsed
                try:
                    read = window[0].result(timeout=0.1)
                    break
                except FutureTimeout:
                    self.interrupt()
            window.popleft()
            held -= read.item.size
            yield from take(self._settle(read, gone_by_hash, gone, summary), read.item.path)

        try:
            for item in found.values():
                self.interrupt()
                outcome = self._check(item, summary)
                if not isinstance(outcome, _ToRead):
                    yield from take(outcome, item.path)
                else:
                    while window and (len(window) >= READ_AHEAD_FILES
                                      or held + item.size > READ_AHEAD_BYTES):
                        yield from settle_oldest()
                    window.append(reader.submit(self._read, item, outcome.record,
                                                maybe_moved, cancel))
                    held += item.size
                while window and window[0].done():
                    yield from settle_oldest()
            while window:
                self.interrupt()
                yield from settle_oldest()
        finally:  # stopped, failed or done: no reading on behind our back
            cancel.set()
            for future in window:
                future.cancel()
            reader.shutdown(wait=True)
        if pending:
            done += self._flush(pending, summary)
            yield progress("")
        if gone:
            stale = self.catalog.remove_files(gone)
            checkpoint("files-removed")
            self.store.delete(stale)
            summary.removed += len(gone)
        summary.seconds = time.perf_counter() - t0
        yield summary

    def _remember_roots(self, roots: list[Path]) -> None:
        """Record the file system each root lives on, to tell later whether a root that is
        gone was deleted (its parent, on the same file system, is still there) or unplugged."""
        for root in roots:
            key = str(root)
            try:
                dev = root.stat().st_dev
            except OSError:
                continue
            if self._root_devices.get(key) != dev:
                self._root_devices[key] = dev
                self.catalog.set_meta(f"root-device:{key}", str(dev))

    def root_deleted(self, path: str) -> bool:
        """A root that is not there was deleted, not unplugged: its parent folder is there, on
        the file system the root was on (an unmounted drive leaves an empty mount point on the
        parent's file system, or no folder at all)."""
        parent = Path(path).parent
        try:
            parent_dev = parent.stat().st_dev
        except OSError:
            return False
        recorded = self.catalog.get_meta(f"root-device:{path}")
        if recorded is not None:
            return int(recorded) == parent_dev and not os.path.ismount(parent)
        try:  # never seen on disk by this version: an empty parent looks like a mount point
            return any(True for _ in os.scandir(parent)) and not os.path.ismount(parent)
        except OSError:
            return False

    def _unreachable_root(self, item: Skipped) -> tuple[int, FileFailed | None]:
        """A file or folder that isn't there. Deleted: its files leave the index (returns how
        many). Unplugged (its drive or share is gone): its files stay, marked unavailable,
        until it returns. Never indexed: a mistyped path."""
        records = self.catalog.files_under(item.path)
        known = [r for r in records if r.state != FAILED]
        if not known and records:  # only failed files: nothing worth keeping
            return self.remove(item.path), None
        if known and self.root_deleted(item.path):
            return self.remove(item.path), None
        if known:
            self.catalog.set_state([r.id for r in known], UNAVAILABLE)
            return 0, FileFailed(
                item.path, "unavailable",
                f"{item.path} is not reachable now; its {len(known)} file(s) stay in the "
                "index, marked unavailable, until it returns or you forget it")
        return 0, FileFailed(item.path, "not-found", f"{item.path}: no such file or folder")

    def _check(self, item: FoundFile, summary: IndexSummary) -> FileFailed | _ToRead | None:
        """What the catalog says of one file before reading it: None when it is unchanged,
        a FileFailed when it is known bad or too large, _ToRead when it must be read."""
        record = self.catalog.file(item.path)
        if (record and record.state in (INDEXED, UNAVAILABLE) and record.size == item.size
                and record.mtime_ns == item.mtime_ns):
            if record.state == UNAVAILABLE:
                self.catalog.touch(record.id, item.size, item.mtime_ns)
            summary.unchanged += 1
            return None
        if (record and record.state == FAILED and record.reason not in TRANSIENT
                and record.size == item.size and record.mtime_ns == item.mtime_ns):
            # Known bad and unchanged: say so again without paying for another attempt.
            return FileFailed(item.path, record.reason or "failed", record.error or "")
        if item.size > self.max_file_bytes:
            limit = self.max_file_bytes / 1e6
            return self._fail(item.path, "too-large",
                              f"{Path(item.path).name} is {item.size / 1e6:.1f} MB, over the "
                              f"{limit:.0f} MB limit (indexing.max_file_mb)", item)
        return _ToRead(record)

    def _read(self, item: FoundFile, record: FileRecord | None, maybe_moved: frozenset[str],
              cancel: threading.Event) -> _Read:
        """The reader thread's part: read, hash, parse and chunk one file. No catalog here.
        Content the catalog has already (unchanged, or perhaps a moved file's) is not parsed;
        a possibly moved file keeps its bytes, in case the move is not one after all."""
        try:
            data, size, mtime_ns = self._read_stable(item)
        except LoaderError as exc:
            return _Read(item, record, error=exc)
        read = _Read(item, record, hashlib.sha256(data).hexdigest(), size, mtime_ns)
        if read.unchanged:
            return read
        if read.digest in maybe_moved:
            read.data = data
            return read
        try:
            read.chunks = self._parse(item.path, data, cancel)
        except LoaderError as exc:
            read.error = exc
        return read

    def _parse(self, path: str, data: bytes, cancel: threading.Event | None = None,
               ) -> list[Chunk]:
        if cancel is not None and cancel.is_set():
            raise LoaderError("cancelled", f"{Path(path).name}: parsing was cancelled")
        return self.chunker.chunk(self.parser.parse(path, data, cancel))

    def _settle(self, read: _Read, gone_by_hash: dict[str, list[FileRecord]],
                gone: dict[int, FileRecord], summary: IndexSummary,
                ) -> _Pending | FileFailed | None:
        """Decide what one read file needs; None when nothing (unchanged, or moved)."""
        item, record = read.item, read.record
        if read.error is not None:
            return self._fail(item.path, read.error.reason, str(read.error), item)
        if read.unchanged:
            assert record is not None
            self.catalog.touch(record.id, read.size, read.mtime_ns)
            summary.unchanged += 1
            return None
        moved_from = gone_by_hash.get(read.digest)
        if moved_from:
            source = moved_from.pop(0)
            gone.pop(source.id, None)
            self.store.delete(self.catalog.move(source.id, item.path, read.size,
                                                read.mtime_ns))
            summary.moved += 1
            return None
        if read.chunks is None:  # same content as a vanished file, already taken by another
            assert read.data is not None
            try:
                read.chunks = self._parse(item.path, read.data)
            except LoaderError as exc:
                return self._fail(item.path, exc.reason, str(exc), item)
        file_id = record.id if record else self.catalog.ensure_file(item.path)
        is_new = record is None or record.content_hash is None
        return _Pending(file_id, item.path, read.chunks, read.digest, read.size,
                        read.mtime_ns, is_new)

    def _read_stable(self, item: FoundFile) -> tuple[bytes, int, int]:
        """Read a file, making sure it did not change while it was read."""
        name = Path(item.path).name
        size, mtime = item.size, item.mtime_ns
        for attempt in range(READ_ATTEMPTS):
            try:
                with open(item.path, "rb") as f:
                    data = f.read(self.max_file_bytes + 1)
                st = os.stat(item.path)
            except OSError as exc:
                raise read_error(exc, name) from exc
            if len(data) > self.max_file_bytes:
                raise LoaderError("too-large", f"{name} grew over the size limit while being read")
            if st.st_size == len(data) and (st.st_size, st.st_mtime_ns) == (size, mtime):
                return data, st.st_size, st.st_mtime_ns
            size, mtime = st.st_size, st.st_mtime_ns
            time.sleep(0.1 * (attempt + 1))
        raise LoaderError("changing", f"{name} kept changing while being read; it will be "
                          "indexed when it settles")

    def _fail(self, path: str, reason: str, message: str,
              item: FoundFile | None = None) -> FileFailed:
        stale = self.catalog.mark_failed(path, reason, message,
                                         item.size if item else 0, item.mtime_ns if item else 0)
        self.store.delete(stale)
        return FileFailed(path, reason, message)

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """A step that writes nothing and no interrupt can cut short (see ``quiet``)."""
        self.quiet.set()
        try:
            yield
        finally:
            self.quiet.clear()

    def _flush(self, pending: list[_Pending], summary: IndexSummary) -> int:
        self.catalog.begin_indexing((p.file_id, p.content_hash) for p in pending)
        checkpoint("marked-indexing")
        ids = [[chunk_id(p.file_id, p.content_hash, c.ordinal) for c in p.chunks]
               for p in pending]
        flat = [i for group in ids for i in group]
        # Vectors an interrupted run already stored are reused, not embedded again.
        have = self.store.existing(flat) if flat else set()
        todo = [(p, c, i) for p, group in zip(pending, ids, strict=True)
                for c, i in zip(p.chunks, group, strict=True) if i not in have]
        # Longest first across every file of the flush, in word pieces: a batch holds chunks
        # of the same length, so little of it is padding. Sorted by characters, as
        # sentence-transformers does, 9.8% of the word pieces encoded for 300 small notes
        # were padding; sorted by word pieces, 1.3% (2.6% within this indexer's flushes).
        # One batch at a time, so a stop request waits for one small batch, not the whole
        # flush.
        # The embedded texts are made a batch at a time: for all of a large file at once they
        # would be one more copy of its text.
        todo.sort(key=lambda t: t[1].tokens or len(_embedded(t[1])) // CHARS_PER_PIECE,
                  reverse=True)
        step = max(1, self.embedder.batch_size)
        if todo:
            # The first flush loads the model (seconds of imports no stop request can cut
            # short); a stop asked meanwhile is honoured before the first batch, not after.
            # The files are marked "indexing" (committed) and nothing else is open: quiet.
            with self._quiet():
                checkpoint("loading-model")
                self.embedder.load()
        # Vectors go to the store STORE_BATCH at a time. Chroma holds the GIL for the whole of
        # an upsert (it lets go only for reads), so every other thread of the app, the
        # window's included, waits for it: 107 ms for 256 vectors froze the window past its
        # 100 ms budget while a folder was indexed; 64 take 30-50 ms. Smaller calls cost more
        # per vector (here 2.7 ms in calls of 16, 1.4 in calls of 64, 1.0 in calls of 256).
        # A kill loses at most the vectors not yet stored; a stop request stores them first.
        import numpy as np  # here: status and search start without it

        made: list[tuple[list[str], np.ndarray, list[dict[str, int]]]] = []

        def store_made() -> None:
            if made:
                self.store.add([i for ids_, _, _ in made for i in ids_],
                               np.concatenate([v for _, v, _ in made]),
                               [m for _, _, metas in made for m in metas])
                summary.embedded_chunks += sum(len(ids_) for ids_, _, _ in made)
                made.clear()

        for start in range(0, len(todo), step):
            try:
                self.interrupt()
            except IndexInterrupted:
                store_made()
                raise
            part = todo[start:start + step]
            texts = [_embedded(c) for _, c, _ in part]
            # Encoding writes nothing and no stop can cut it short (one batch is one call
            # into the engine: 3-4 s for 16 long passages with e5 on 2 busy cores), so it is
            # quiet too: a process that is ending leaves instead of waiting for it, and at
            # most the vectors not yet stored are encoded again at the next start.
            with self._quiet():
                vectors = self.embedder.encode(texts)
            made.append(([i for _, _, i in part], vectors,
                         [{"file_id": p.file_id, "page": c.page if c.page is not None else -1}
                          for p, c, _ in part]))
            if sum(len(ids_) for ids_, _, _ in made) >= STORE_BATCH:
                store_made()
        store_made()
        checkpoint("vectors-added")
        for p in pending:
            stale = self.catalog.replace_chunks(p.file_id, p.chunks, p.content_hash, p.size,
                                                p.mtime_ns, p.state)
            checkpoint("chunks-swapped")
            self.store.delete(stale)
            if p.is_new:
                summary.added += 1
            else:
                summary.updated += 1
        return len(pending)

    def carry_over(self, source: Catalog, records: list[FileRecord]) -> int:
        """Copy files that can't be read now (an unplugged drive) from another generation:
        their passages are embedded for this one and marked unavailable, so they stay
        searchable; when the files return they are read and chunked with this index's
        settings (the recorded size never matches, so they are read again)."""
        summary = IndexSummary()
        carried = 0
        for record in records:
            mine = self.catalog.file(record.path)
            if mine is not None and mine.state in (INDEXED, UNAVAILABLE):
                continue  # carried over by an earlier, interrupted rebuild
            chunks = source.chunks_of(record.id)
            if not chunks:
                continue
            file_id = mine.id if mine else self.catalog.ensure_file(record.path)
            marker = CARRIED + (record.content_hash or "none")[:16]
            self._flush([_Pending(file_id, record.path, chunks, marker, -1, 0, True,
                                  UNAVAILABLE)], summary)
            carried += 1
        return carried

    # Other changes -------------------------------------------------------------------

    def remove(self, path: str) -> int:
        """A deleted file or folder: its chunks leave catalog, FTS and vector store."""
        records = self.catalog.files_under(path)
        if records:
            self.store.delete(self.catalog.remove_files([r.id for r in records]))
        return len(records)

    def forget(self, path: Path | str) -> int:
        """Remove a file, or every file in a folder, from the catalog, FTS and vector store."""
        return self.remove(str(absolute(path)))

    def close(self) -> None:
        self.parser.close()


