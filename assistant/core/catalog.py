"""The catalog: SQLite (WAL) record of every file and chunk, and the BM25 index over chunks.

It is the source of truth for what is indexed; the vector store is derived from it.
Chunk text lives here, so a citation resolves without the vector store.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.core.types import Chunk, Passage

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT,
    profile TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    error TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    page INTEGER,
    heading TEXT NOT NULL DEFAULT '',
    context TEXT NOT NULL DEFAULT '',
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, context, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, context) VALUES (new.rowid, new.text, new.context);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, context)
    VALUES ('delete', old.rowid, old.text, old.context);
END;
"""

# File states
INDEXED = "indexed"
FAILED = "failed"


@dataclass
class FileRecord:
    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    profile: str | None
    state: str
    reason: str | None
    error: str | None
    chunk_count: int


def chunk_id(file_id: int, content_hash: str, ordinal: int) -> str:
    """Deterministic: the same file content indexed again gets the same ids."""
    return f"{file_id}-{content_hash[:16]}-{ordinal}"


class Catalog:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.RLock()
        with self._write_lock:
            self.db.executescript(SCHEMA)

    # Connections: one per thread, WAL so readers never block the writer.
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # Meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # Files -----------------------------------------------------------------------

    def file(self, path: str) -> FileRecord | None:
        row = self.db.execute("SELECT * FROM files WHERE path = ?", (path,)).fetchone()
        return _record(row) if row else None

    def files(self, state: str | None = None) -> list[FileRecord]:
        if state:
            rows = self.db.execute("SELECT * FROM files WHERE state = ? ORDER BY path", (state,))
        else:
            rows = self.db.execute("SELECT * FROM files ORDER BY path")
        return [_record(r) for r in rows]

    def files_under(self, path: str) -> list[FileRecord]:
        """The file at ``path`` and every file inside the folder ``path``."""
        prefix = path.rstrip("/\\") + "/"
        rows = self.db.execute(
            "SELECT * FROM files WHERE path = ? OR substr(path, 1, ?) = ?",
            (path, len(prefix), prefix),
        )
        return [_record(r) for r in rows]

    def ensure_file(self, path: str) -> int:
        with self.transaction() as db:
            row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if row:
                return int(row[0])
            cur = db.execute(
                "INSERT INTO files(path, state, updated_at) VALUES (?, 'new', ?)",
                (path, time.time()),
            )
            return int(cur.lastrowid or 0)

    def touch(self, file_id: int, size: int, mtime_ns: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                (size, mtime_ns, time.time(), file_id),
            )

    def mark_failed(self, path: str, reason: str, message: str, size: int = 0,
                    mtime_ns: int = 0) -> None:
        """Record why a file could not be indexed. Its previous chunks, if any, are kept out of
        answers: a file that now fails is removed from the index (its text may be gone)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO files(path, size, mtime_ns, state, reason, error, updated_at) "
                "VALUES (?, ?, ?, 'failed', ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "size = excluded.size, mtime_ns = excluded.mtime_ns, state = 'failed', "
                "reason = excluded.reason, error = excluded.error, content_hash = NULL, "
                "chunk_count = 0, updated_at = excluded.updated_at",
                (path, size, mtime_ns, reason, message, time.time()),
            )
            db.execute(
                "DELETE FROM chunks WHERE file_id = (SELECT id FROM files WHERE path = ?)",
                (path,),
            )

    def replace_chunks(
        self,
        file_id: int,
        chunks: list[Chunk],
        content_hash: str,
        profile: str,
        size: int,
        mtime_ns: int,
    ) -> list[str]:
        """Swap a file's chunks for new ones in one transaction; return the old chunk ids."""
        with self.transaction() as db:
            old = [r[0] for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE file_id = ?", (file_id,)
            )]
            db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
            db.executemany(
                'INSERT INTO chunks(chunk_id, file_id, ordinal, page, heading, context, start, '
                '"end", text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                [
                    (chunk_id(file_id, content_hash, c.ordinal), file_id, c.ordinal, c.page,
                     c.heading, c.context, c.start, c.end, c.text)
                    for c in chunks
                ],
            )
            db.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, content_hash = ?, profile = ?, "
                "state = 'indexed', reason = NULL, error = NULL, chunk_count = ?, "
                "updated_at = ? WHERE id = ?",
                (size, mtime_ns, content_hash, profile, len(chunks), time.time(), file_id),
            )
        new = {chunk_id(file_id, content_hash, c.ordinal) for c in chunks}
        return [cid for cid in old if cid not in new]

    def remove_files(self, file_ids: Iterable[int]) -> list[str]:
        """Delete files and their chunks (FTS follows through the trigger); return chunk ids."""
        ids = list(file_ids)
        removed: list[str] = []
        with self.transaction() as db:
            for fid in ids:
                removed += [r[0] for r in db.execute(
                    "SELECT chunk_id FROM chunks WHERE file_id = ?", (fid,)
                )]
                db.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
                db.execute("DELETE FROM files WHERE id = ?", (fid,))
        return removed

    # Chunks ----------------------------------------------------------------------

    def chunk_ids_of(self, file_id: int) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT chunk_id FROM chunks WHERE file_id = ?", (file_id,)
        )]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks")}

    def passages(self, ids: list[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT c.chunk_id, f.path, c.page, c.start, c."end", c.text, c.heading, c.context '
            f"FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.chunk_id IN ({marks})",
            ids,
        )
        return {
            r[0]: Passage(chunk_id=r[0], path=r[1], page=r[2], start=r[3], end=r[4], text=r[5],
                          heading=r[6], context=r[7])
            for r in rows
        }

    def bm25(self, match: str, limit: int) -> list[tuple[str, float]]:
        """Chunk ids ranked by BM25 for an FTS5 MATCH expression (best first)."""
        if not match:
            return []
        rows = self.db.execute(
            "SELECT c.chunk_id, bm25(chunks_fts, 1.0, 0.5) AS s FROM chunks_fts "
            "JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ? "
            "ORDER BY s LIMIT ?",
            (match, limit),
        )
        return [(r[0], -float(r[1])) for r in rows]

    # Status ----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        files = self.db.execute(
            "SELECT COUNT(*) FROM files WHERE state = 'indexed'"
        ).fetchone()[0]
        chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        failed = self.db.execute("SELECT COUNT(*) FROM files WHERE state = 'failed'").fetchone()[0]
        return {"files": int(files), "chunks": int(chunks), "failed": int(failed)}

    def fts_count(self) -> int:
        # FTS5 'docsize' table holds one row per indexed document.
        return int(self.db.execute("SELECT COUNT(*) FROM chunks_fts_docsize").fetchone()[0])

    def dump_meta(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT key, value FROM meta")}


def _record(row: sqlite3.Row) -> FileRecord:
    return FileRecord(
        id=row["id"], path=row["path"], size=row["size"], mtime_ns=row["mtime_ns"],
        content_hash=row["content_hash"], profile=row["profile"], state=row["state"],
        reason=row["reason"], error=row["error"], chunk_count=row["chunk_count"],
    )


def profile_key(settings: dict[str, object]) -> str:
    """A short stable key for the settings an index was built with."""
    import hashlib

    blob = json.dumps(settings, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]
