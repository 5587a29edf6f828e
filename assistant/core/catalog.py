"""The catalog: SQLite (WAL) record of every file and chunk, and the BM25 index over chunks.

It is the source of truth for what is indexed; the vector store is derived from it and is
repaired against it. Chunk text lives here, so a citation resolves without the vector store.

File states: ``new`` (seen, not indexed yet), ``indexing`` (its vectors are being written;
``pending_hash`` names them), ``indexed``, ``failed`` (``reason``/``error`` say why),
``unavailable`` (its folder is gone for now, e.g. an unplugged drive: kept, not purged).

Paths are stored twice: ``path`` as text for display and lookups (:func:`path_key`: non-UTF-8
bytes escaped, one key per path), ``raw`` as the exact bytes the file system uses, so odd names
can always be reopened. Schema 3 made the key one per path; older catalogs are re-keyed when
opened, ids (and so vectors) kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.core.database import Database
from assistant.core.text import ANALYZER_VERSION, index_terms
from assistant.core.types import Chunk, Passage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 3: path keys that never collide (see path_key)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    raw BLOB,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT,
    pending_hash TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    error TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_hash ON files(content_hash);
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
"""

# The full-text index holds the analyzer's terms of each chunk (stems, CJK bigrams: see
# assistant.core.text), not FTS5's own tokens: FTS5's unicode61 made one token of a whole
# run of Chinese characters, and porter stems only English. The terms are computed by a
# function every connection registers (assistant_terms), through a view the index reads
# its content from, so the chunks table holds the text once. When the analyzer changes
# (ANALYZER_VERSION), the index is rebuilt from the chunks when the catalog is opened.
FTS_SCHEMA = [
    "CREATE VIEW chunks_terms AS SELECT rowid, assistant_terms(text) AS text, "
    "assistant_terms(context) AS context FROM chunks",
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, context, content='chunks_terms', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN "
    "INSERT INTO chunks_fts(rowid, text, context) "
    "VALUES (new.rowid, assistant_terms(new.text), assistant_terms(new.context)); END",
    "CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN "
    "INSERT INTO chunks_fts(chunks_fts, rowid, text, context) "
    "VALUES ('delete', old.rowid, assistant_terms(old.text), assistant_terms(old.context)); END",
]
_FTS_OBJECTS = [("TRIGGER", "chunks_ai"), ("TRIGGER", "chunks_ad"), ("TABLE", "chunks_fts"),
                ("VIEW", "chunks_terms")]

# FTS5 keeps its row count and column token totals in one record of its data table.
_FTS_TOTALS = 1
_DOC_FREQS_KEPT = 20_000  # words remembered per connection between changes


def _terms(text: str | None) -> str:
    return index_terms(text) if text else ""


def _varint(data: bytes) -> int:
    """The first of SQLite's variable-length integers in ``data`` (FTS5's totals record)."""
    value = 0
    for i, byte in enumerate(data[:9]):
        if i == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return value


NEW, INDEXING, INDEXED, FAILED, UNAVAILABLE = "new", "indexing", "indexed", "failed", "unavailable"


# Windows paths never hold "|", so it can mark an escaped byte there; elsewhere any character
# but "/" may be in a name, and the backslash is made unambiguous instead.
_ESCAPE = "|" if os.sep == "\\" else "\\"


def _raw_byte(ch: str) -> bool:
    return "\udc80" <= ch <= "\udcff"  # an undecodable byte, as os.fsdecode keeps it


def path_key(path: str) -> str:
    """Text form of a path for display and lookups: itself when it is UTF-8 with no backslash
    (nearly always), else undecodable bytes written as \\xNN and, so that no two paths share a
    key, a backslash of the name doubled where it would read as the start of an escape
    (before "x", another backslash or an escaped byte): ``caf<0xff>`` and ``caf\\xff`` (a
    backslash and three letters) are ``caf\\xff`` and ``caf\\\\xff``. The key of a path
    inside a folder begins with the folder's key and a separator, as paths do."""
    try:
        path.encode("utf-8")
        if _ESCAPE not in path:
            return path
    except UnicodeEncodeError:
        pass
    text = os.fsencode(path).decode("utf-8", "surrogateescape")
    out = []
    for i, ch in enumerate(text):
        if _raw_byte(ch):
            out.append(f"{_ESCAPE}x{ord(ch) - 0xDC00:02x}")
        elif ch == "\\" and _ESCAPE == "\\" and i + 1 < len(text) and (
                text[i + 1] in "x\\" or _raw_byte(text[i + 1])):
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def _storable(text: str) -> str:
    """Text SQLite can hold: a message naming a file whose name is not UTF-8 keeps the name's
    odd bytes as \\xNN, as its key shows them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name gives: shown as \\udNNN
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _rekey(db: sqlite3.Connection) -> None:
    """Give every file the key :func:`path_key` gives its bytes now (schema 2 gave a raw
    0xff byte and a written ``\\xff`` one key). Ids stay, so chunks and vectors stay; a row two
    names shared keeps its bytes' name, and the other file is indexed as new."""
    rows = db.execute(
        "SELECT id, path, raw FROM files WHERE raw IS NOT NULL "
        "AND (instr(raw, X'5C') > 0 OR raw != CAST(path AS BLOB))").fetchall()
    changes = [(fid, key) for fid, path, raw in rows
               if (key := path_key(os.fsdecode(bytes(raw)))) != path]
    # Out of the way first: a new key may be another row's old one.
    db.executemany("UPDATE files SET path = ? WHERE id = ?",
                   [(f"\0rekey-{fid}", fid) for fid, _ in changes])
    for fid, key in changes:
        try:
            db.execute("UPDATE files SET path = ? WHERE id = ?", (key, fid))
        except sqlite3.IntegrityError:  # a row without bytes holds it: index this one anew
            db.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
            db.execute("DELETE FROM files WHERE id = ?", (fid,))


@dataclass
class FileRecord:
    id: int
    key: str  # display/lookup form
    path: str  # the file system's own path (may hold surrogate escapes)
    size: int
    mtime_ns: int
    content_hash: str | None
    pending_hash: str | None
    state: str
    reason: str | None
    error: str | None
    chunk_count: int


def chunk_id(file_id: int, content_hash: str, ordinal: int) -> str:
    """Deterministic: the same content of the same file gets the same ids, so a re-run finds
    vectors an interrupted run already stored and does not embed them again."""
    return f"{file_id}-{content_hash[:16]}-{ordinal}"


def chunk_id_prefix(file_id: int, content_hash: str) -> str:
    return f"{file_id}-{content_hash[:16]}-"


class Catalog(Database):
    def __init__(self, path: Path):
        super().__init__(path, SCHEMA)
        self._upgrade()
        self._analyzer()

    def connected(self, conn: sqlite3.Connection) -> None:
        conn.create_function("assistant_terms", 1, _terms, deterministic=True)

    def _analyzer(self) -> None:
        """Build the full-text index with this analyzer when it was built with another (or
        not yet): a new catalog gets it empty, an older one is re-analysed from its chunks
        (once, whoever opens it first; 52 s for 20,000 chunks here, with other work on both
        cores)."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'analyzer'").fetchone()
            if row is not None and row[0] == ANALYZER_VERSION:
                return
            t0 = time.perf_counter()
            for kind, name in _FTS_OBJECTS:
                db.execute(f"DROP {kind} IF EXISTS {name}")
            for statement in FTS_SCHEMA:
                db.execute(statement)
            if db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None:
                db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild')")
                log.info("full-text index of %s rebuilt for analyzer %s in %.1f s", self.path,
                         ANALYZER_VERSION, time.perf_counter() - t0)
            db.execute("INSERT INTO meta(key, value) VALUES ('analyzer', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       (ANALYZER_VERSION,))

    def _upgrade(self) -> None:
        """Bring an older catalog to this schema (once, whoever opens it first)."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version >= SCHEMA_VERSION:
                return
            if version < 3:
                _rekey(db)
            db.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       (str(SCHEMA_VERSION),))

    # Meta ------------------------------------------------------------------------
    # Keys may name paths ("root-device:<root>"), so they are stored as path keys.

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?",
                              (path_key(key),)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (path_key(key), value),
            )

    # Files -----------------------------------------------------------------------

    def file(self, path: str) -> FileRecord | None:
        """The record of the file at ``path`` (the file system's path)."""
        row = self.db.execute("SELECT * FROM files WHERE path = ?", (path_key(path),)).fetchone()
        return _record(row) if row else None

    def file_by_key(self, key: str) -> FileRecord | None:
        """The record shown as ``key`` (:attr:`FileRecord.key`, a passage's path). For most
        files it is their path; for a name with undecodable bytes only the key finds it."""
        row = self.db.execute("SELECT * FROM files WHERE path = ?", (key,)).fetchone()
        return _record(row) if row else None

    def file_by_id(self, file_id: int) -> FileRecord | None:
        row = self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        return _record(row) if row else None

    def files(self, *states: str) -> list[FileRecord]:
        if states:
            marks = ",".join("?" * len(states))
            rows = self.db.execute(
                f"SELECT * FROM files WHERE state IN ({marks}) ORDER BY path", states)
        else:
            rows = self.db.execute("SELECT * FROM files ORDER BY path")
        return [_record(r) for r in rows]

    def find_files(self, states: Iterable[str] = (), text: str = "",
                   limit: int = 2000) -> list[FileRecord]:
        """Files in ``states`` (all when empty) whose path holds ``text``: failed first,
        then by path; at most ``limit``."""
        where, args = [], []
        states = list(states)
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args += states
        if text:
            where.append("instr(lower(path), ?) > 0")
            args.append(text.lower())
        sql = ("SELECT * FROM files" + (" WHERE " + " AND ".join(where) if where else "") +
               " ORDER BY state != 'failed', path LIMIT ?")
        return [_record(r) for r in self.db.execute(sql, (*args, limit))]

    def files_under(self, path: str) -> list[FileRecord]:
        """The file at ``path`` and every file inside the folder ``path``."""
        key = path_key(path)
        # Only the separators: on Linux and macOS "data\\" is a name, not the folder "data".
        prefix = key.rstrip(os.sep + (os.altsep or "")) + os.sep
        rows = self.db.execute(
            "SELECT * FROM files WHERE path = ? OR substr(path, 1, ?) = ?",
            (key, len(prefix), prefix),
        )
        return [_record(r) for r in rows]

    def ensure_file(self, path: str) -> int:
        key = path_key(path)
        with self.transaction() as db:
            row = db.execute("SELECT id FROM files WHERE path = ?", (key,)).fetchone()
            if row:
                return int(row[0])
            cur = db.execute(
                "INSERT INTO files(path, raw, state, updated_at) VALUES (?, ?, 'new', ?)",
                (key, os.fsencode(path), time.time()),
            )
            return int(cur.lastrowid or 0)

    def touch(self, file_id: int, size: int, mtime_ns: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, state = CASE WHEN state = ? THEN ? "
                "ELSE state END, updated_at = ? WHERE id = ?",
                (size, mtime_ns, UNAVAILABLE, INDEXED, time.time(), file_id),
            )

    def set_state(self, file_ids: Iterable[int], state: str) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE files SET state = ?, updated_at = ? WHERE id = ?",
                           [(state, time.time(), fid) for fid in file_ids])

    def begin_indexing(self, pending: Iterable[tuple[int, str]]) -> None:
        """Record, before any vector is written, which content each file's vectors are for."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE files SET state = 'indexing', pending_hash = ?, updated_at = ? "
                "WHERE id = ?",
                [(h, time.time(), fid) for fid, h in pending],
            )

    def _drop_other(self, db: sqlite3.Connection, key: str, file_id: int) -> list[str]:
        """Delete the record already at ``key`` (not ``file_id``); return its chunk ids."""
        row = db.execute("SELECT id FROM files WHERE path = ? AND id != ?",
                         (key, file_id)).fetchone()
        if row is None:
            return []
        stale = [r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE file_id = ?",
                                          (row[0],))]
        db.execute("DELETE FROM chunks WHERE file_id = ?", (row[0],))
        db.execute("DELETE FROM files WHERE id = ?", (row[0],))
        return stale

    def move(self, file_id: int, new_path: str, size: int, mtime_ns: int) -> list[str]:
        """A file renamed or moved with the same content: only its path changes. A record
        already at the new path is replaced; its chunk ids are returned so the caller
        deletes their vectors too."""
        key = path_key(new_path)
        with self.transaction() as db:
            stale = self._drop_other(db, key, file_id)
            db.execute(
                "UPDATE files SET path = ?, raw = ?, size = ?, mtime_ns = ?, "
                "state = CASE WHEN state = 'unavailable' THEN 'indexed' ELSE state END, "
                "updated_at = ? WHERE id = ?",
                (key, os.fsencode(new_path), size, mtime_ns, time.time(), file_id),
            )
        return stale

    def move_folder(self, old: str, new: str) -> tuple[int, list[str]]:
        """A folder renamed or moved: every path under it changes, nothing else. Returns how
        many files moved and the chunk ids of records they replaced (delete their vectors)."""
        moved = 0
        stale: list[str] = []
        with self.transaction() as db:
            for record in self.files_under(old):
                rel = os.path.relpath(record.path, old)
                target = os.path.join(new, rel)
                stale += self._drop_other(db, path_key(target), record.id)
                db.execute("UPDATE files SET path = ?, raw = ?, updated_at = ? WHERE id = ?",
                           (path_key(target), os.fsencode(target), time.time(), record.id))
                moved += 1
        return moved, stale

    def mark_failed(self, path: str, reason: str, message: str, size: int = 0,
                    mtime_ns: int = 0) -> list[str]:
        """Record why a file could not be indexed and drop its old chunks (its text may be
        gone or wrong). Returns the chunk ids to delete from the vector store."""
        key = path_key(path)
        with self.transaction() as db:
            row = db.execute("SELECT id FROM files WHERE path = ?", (key,)).fetchone()
            stale = [r[0] for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE file_id = ?", (row[0],))] if row else []
            db.execute(
                "INSERT INTO files(path, raw, size, mtime_ns, state, reason, error, updated_at) "
                "VALUES (?, ?, ?, ?, 'failed', ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "size = excluded.size, mtime_ns = excluded.mtime_ns, state = 'failed', "
                "reason = excluded.reason, error = excluded.error, content_hash = NULL, "
                "pending_hash = NULL, chunk_count = 0, updated_at = excluded.updated_at",
                (key, os.fsencode(path), size, mtime_ns, _storable(reason), _storable(message),
                 time.time()),
            )
            if row:
                db.execute("DELETE FROM chunks WHERE file_id = ?", (row[0],))
        return stale

    def replace_chunks(self, file_id: int, chunks: list[Chunk], content_hash: str, size: int,
                       mtime_ns: int, state: str = INDEXED) -> list[str]:
        """Swap a file's chunks for new ones in one transaction; return the old chunk ids."""
        new_ids = [chunk_id(file_id, content_hash, c.ordinal) for c in chunks]
        with self.transaction() as db:
            old = [r[0] for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE file_id = ?", (file_id,))]
            db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
            db.executemany(
                'INSERT INTO chunks(chunk_id, file_id, ordinal, page, heading, context, start, '
                '"end", text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                [(cid, file_id, c.ordinal, c.page, c.heading, c.context, c.start, c.end, c.text)
                 for cid, c in zip(new_ids, chunks, strict=True)],
            )
            db.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, content_hash = ?, pending_hash = NULL, "
                "state = ?, reason = NULL, error = NULL, chunk_count = ?, "
                "updated_at = ? WHERE id = ?",
                (size, mtime_ns, content_hash, state, len(chunks), time.time(), file_id),
            )
        keep = set(new_ids)
        return [cid for cid in old if cid not in keep]

    def remove_files(self, file_ids: Iterable[int]) -> list[str]:
        """Delete files and their chunks (FTS follows by trigger) in one transaction; return
        the chunk ids so the caller removes the vectors too."""
        removed: list[str] = []
        with self.transaction() as db:
            for fid in file_ids:
                removed += [r[0] for r in db.execute(
                    "SELECT chunk_id FROM chunks WHERE file_id = ?", (fid,))]
                db.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
                db.execute("DELETE FROM files WHERE id = ?", (fid,))
        return removed

    # Chunks ----------------------------------------------------------------------

    def chunk_ids_of(self, file_id: int) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT chunk_id FROM chunks WHERE file_id = ?", (file_id,))]

    def chunks_of(self, file_id: int) -> list[Chunk]:
        rows = self.db.execute(
            'SELECT ordinal, text, start, "end", page, heading, context FROM chunks '
            "WHERE file_id = ? ORDER BY ordinal", (file_id,))
        return [Chunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks")}

    def chunk_counts_by_file(self) -> dict[int, int]:
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT file_id, COUNT(*) FROM chunks GROUP BY file_id")}

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

    def bm25(self, match: str | Sequence[str], limit: int) -> list[tuple[str, float]]:
        """Chunk ids ranked by BM25 for an FTS5 MATCH expression (best first). ``match`` may
        also be several expressions that match disjoint sets of passages: they are ranked
        together, as one expression matching their union would rank them."""
        matches = [match] if isinstance(match, str) else [m for m in match if m]
        if not matches or not matches[0]:
            return []
        # Rank inside the full-text index and look up only the best: joining every match
        # (tens of thousands for a common word at 100k chunks) cost more than the ranking.
        best: list[tuple[float, int]] = []
        for expression in matches:
            best += [(r[1], r[0]) for r in self.db.execute(
                "SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS s FROM chunks_fts "
                "WHERE chunks_fts MATCH ? ORDER BY s, rowid LIMIT ?", (expression, limit))]
        best = sorted(best)[:limit]
        if not best:
            return []
        marks = ",".join("?" * len(best))
        ids = dict(self.db.execute(f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({marks})",
                                   [rowid for _, rowid in best]).fetchall())
        return [(ids[rowid], -float(s)) for s, rowid in best if rowid in ids]

    def fts_rows(self) -> int:
        """Passages in the full-text index, as BM25 counts them. Read from FTS5's own totals
        record (one row), because ``COUNT(*)`` reads the whole table: 84 ms at 1M passages."""
        row = self.db.execute(f"SELECT block FROM chunks_fts_data WHERE id = {_FTS_TOTALS}"
                              ).fetchone()
        if row is None or not row[0]:
            return 0
        return _varint(bytes(row[0]))

    def doc_freq(self, word: str) -> int:
        """How many passages hold the term ``word`` (an analyzer's term: see text.terms)."""
        return self.doc_freqs([word])[word]

    def doc_freqs(self, words: Iterable[str]) -> dict[str, int]:
        """How many passages hold each word. Remembered until the catalog changes (a common
        word costs 8 ms to count at 1M passages): the key is SQLite's data_version, which
        moves when another connection commits, plus this connection's own changes."""
        conn = self.db
        version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        cache = getattr(self._local, "doc_freqs", None)
        if cache is None or cache[0] is not conn or cache[1] != version \
                or len(cache[2]) > _DOC_FREQS_KEPT:
            cache = (conn, version, {})
            self._local.doc_freqs = cache
        known: dict[str, int] = cache[2]
        out = {}
        for word in words:
            if word not in known:
                known[word] = int(conn.execute(
                    "SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                    (f'"{word}"',)).fetchone()[0]) if word else 0
            out[word] = known[word]
        return out

    def has_chunks(self) -> bool:
        return self.db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None

    def chunk_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    # Health ----------------------------------------------------------------------

    def check_fts(self) -> bool:
        """Check the FTS index (run at every repair, so at every start); rebuild it when it is
        damaged or does not hold one row per chunk.

        The index is checked on its own (FTS5's integrity-check with rank 0) and its rows
        counted against the chunks, not compared term by term with the chunks (rank 1): that
        analyses every chunk again, 65 s for 20,000 chunks here against 0.8 s. The triggers
        keep both in one transaction, so a crash cannot leave them apart; what this catches
        is a damaged file or an index written by other code."""
        try:
            self.db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 0)")
            if self.fts_count() == self.chunk_count():
                return True
        except sqlite3.DatabaseError:
            pass
        with self.transaction() as db:
            db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild')")
        return False

    def counts(self) -> dict[str, int]:
        rows = dict(self.db.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall())
        chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {"files": int(rows.get(INDEXED, 0)), "chunks": int(chunks),
                "failed": int(rows.get(FAILED, 0)), "unavailable": int(rows.get(UNAVAILABLE, 0)),
                "pending": int(rows.get(NEW, 0) + rows.get(INDEXING, 0))}

    def fts_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks_fts_docsize").fetchone()[0])


def _record(row: sqlite3.Row) -> FileRecord:
    raw = row["raw"]
    return FileRecord(
        id=row["id"], key=row["path"], path=os.fsdecode(raw) if raw else row["path"],
        size=row["size"], mtime_ns=row["mtime_ns"], content_hash=row["content_hash"],
        pending_hash=row["pending_hash"], state=row["state"], reason=row["reason"],
        error=row["error"], chunk_count=row["chunk_count"],
    )


def profile_key(settings: dict[str, object]) -> str:
    """A short stable key for the settings an index was built with."""
    blob = json.dumps(settings, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]
