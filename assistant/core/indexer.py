"""Index files and folders: discover, load, chunk, embed, store. Yields progress events.

Write order per file keeps the stores consistent if the process dies part-way: new vectors
are added first, then the catalog swaps the file's chunks (and the FTS rows) in one
transaction, then the old vectors are deleted. The catalog decides what is indexed; a
vector whose id the catalog does not know is never shown and is cleaned up later.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.core import loaders
from assistant.core.catalog import INDEXED, Catalog, chunk_id
from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder
from assistant.core.errors import LoaderError
from assistant.core.store import VectorStore
from assistant.core.types import Chunk, FileFailed, IndexEvent, IndexProgress, IndexSummary

# Folders never worth indexing. (User-configurable ignore rules come with folder watching.)
SKIP_DIRS = {
    "node_modules", "__pycache__", "site-packages", "venv", ".venv", "env", "build", "dist",
    "target", ".git", ".hg", ".svn", ".tox", ".mypy_cache", ".pytest_cache",
}


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileFailed]]:
    """Supported files under ``paths`` (explicit files are taken whatever their type)."""
    found: list[Path] = []
    problems: list[FileFailed] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(os.path.abspath(raw.expanduser()))
        if not path.exists():
            problems.append(FileFailed(str(path), "not-found", f"{raw}: no such file or folder"))
            continue
        if path.is_file():
            if str(path) not in seen:
                seen.add(str(path))
                found.append(path)
            continue
        for root, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = sorted(
                d for d in dirs
                if not d.startswith(".") and d not in SKIP_DIRS
                and not (Path(root, d) / "pyvenv.cfg").exists()
            )
            for name in sorted(files):
                if name.startswith("."):
                    continue
                p = Path(root, name)
                if loaders.is_supported(p) and str(p) not in seen and p.is_file():
                    seen.add(str(p))
                    found.append(p)
    return found, problems


@dataclass
class _Pending:
    file_id: int
    path: str
    chunks: list[Chunk]
    content_hash: str
    size: int
    mtime_ns: int
    is_new: bool


class Indexer:
    def __init__(self, catalog: Catalog, store: VectorStore, embedder: Embedder,
                 chunker: Chunker, profile: str, max_file_bytes: int,
                 flush_chunks: int = 256):
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.profile = profile
        self.max_file_bytes = max_file_bytes
        self.flush_chunks = flush_chunks

    def index(self, paths: Iterable[Path | str]) -> Iterator[IndexEvent]:
        t0 = time.perf_counter()
        roots = [Path(p) for p in paths]
        files, problems = discover(roots)
        summary = IndexSummary()
        for problem in problems:
            summary.failed += 1
            summary.errors.append(problem)
            yield problem
        summary.removed = self._remove_vanished(roots, {str(f) for f in files})

        total = len(files)
        done = 0
        pending: list[_Pending] = []

        def progress(current: str) -> IndexProgress:
            elapsed = time.perf_counter() - t0
            rate = summary.embedded_chunks / elapsed if elapsed > 0 else 0.0
            per_file = elapsed / done if done else None
            eta = per_file * (total - done) if per_file is not None else None
            return IndexProgress(done, total, current, summary.embedded_chunks, rate, eta,
                                 summary.failed)

        for path in files:
            outcome = self._prepare(path)
            if isinstance(outcome, FileFailed):
                summary.failed += 1
                summary.errors.append(outcome)
                done += 1
                yield outcome
            elif outcome is None:
                summary.unchanged += 1
                done += 1
            else:
                pending.append(outcome)
                if sum(len(p.chunks) for p in pending) >= self.flush_chunks:
                    done += self._flush(pending, summary)
                    pending = []
            yield progress(str(path))
        if pending:
            done += self._flush(pending, summary)
            yield progress("")
        summary.seconds = time.perf_counter() - t0
        yield summary

    def _prepare(self, path: Path) -> _Pending | FileFailed | None:
        """Read and chunk one file; None when it is unchanged since the last index."""
        key = str(path)
        try:
            st = path.stat()
        except FileNotFoundError:
            return self._fail(key, "vanished", f"{path} disappeared before it could be read")
        except PermissionError:
            return self._fail(key, "permission-denied", f"{path}: permission denied")
        record = self.catalog.file(key)
        same_profile = record is not None and record.profile == self.profile
        if (record and record.state == INDEXED and same_profile
                and record.size == st.st_size and record.mtime_ns == st.st_mtime_ns):
            return None
        if st.st_size > self.max_file_bytes:
            limit = self.max_file_bytes / 1e6
            return self._fail(
                key, "too-large",
                f"{path.name} is {st.st_size / 1e6:.1f} MB, over the {limit:.0f} MB limit "
                "(indexing.max_file_mb)", st,
            )
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return self._fail(key, "vanished", f"{path} disappeared while being read")
        except PermissionError:
            return self._fail(key, "permission-denied", f"{path}: permission denied", st)
        except IsADirectoryError:
            return self._fail(key, "unsupported-type", f"{path} is a directory", st)
        digest = hashlib.sha256(data).hexdigest()
        if record and record.state == INDEXED and same_profile and record.content_hash == digest:
            self.catalog.touch(record.id, st.st_size, st.st_mtime_ns)
            return None
        try:
            document = loaders.load(path, data)
        except LoaderError as exc:
            return self._fail(key, exc.reason, str(exc), st)
        chunks = self.chunker.chunk(document)
        file_id = record.id if record else self.catalog.ensure_file(key)
        is_new = record is None or record.state != INDEXED
        return _Pending(file_id, key, chunks, digest, st.st_size, st.st_mtime_ns, is_new)

    def _fail(self, path: str, reason: str, message: str,
              st: os.stat_result | None = None) -> FileFailed:
        record = self.catalog.file(path)
        stale = self.catalog.chunk_ids_of(record.id) if record else []
        self.catalog.mark_failed(path, reason, message,
                                 st.st_size if st else 0, st.st_mtime_ns if st else 0)
        self.store.delete(stale)
        return FileFailed(path, reason, message)

    def _flush(self, pending: list[_Pending], summary: IndexSummary) -> int:
        texts = [f"{c.context}\n{c.text}" if c.context else c.text
                 for p in pending for c in p.chunks]
        vectors = self.embedder.encode(texts)
        row = 0
        for p in pending:
            n = len(p.chunks)
            ids = [chunk_id(p.file_id, p.content_hash, c.ordinal) for c in p.chunks]
            metas = [{"file_id": p.file_id, "page": c.page if c.page is not None else -1}
                     for c in p.chunks]
            if n:
                self.store.add(ids, vectors[row : row + n], metas)
            row += n
            stale = self.catalog.replace_chunks(p.file_id, p.chunks, p.content_hash,
                                                self.profile, p.size, p.mtime_ns)
            self.store.delete(stale)
            summary.embedded_chunks += n
            if p.is_new:
                summary.added += 1
            else:
                summary.updated += 1
        return len(pending)

    def _remove_vanished(self, roots: list[Path], present: set[str]) -> int:
        """Files indexed under a folder being re-indexed that no longer exist there."""
        gone = []
        for root in roots:
            path = Path(os.path.abspath(root.expanduser()))
            if not path.is_dir():
                continue
            gone += [r.id for r in self.catalog.files_under(str(path)) if r.path not in present
                     and not Path(r.path).exists()]
        if gone:
            self.store.delete(self.catalog.remove_files(gone))
        return len(gone)

    def forget(self, path: Path | str) -> int:
        """Remove a file, or every file in a folder, from the catalog, FTS and vector store."""
        target = os.path.abspath(Path(path).expanduser())
        records = self.catalog.files_under(target)
        if records:
            self.store.delete(self.catalog.remove_files([r.id for r in records]))
        return len(records)
