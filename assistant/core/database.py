"""A SQLite file shared by the app's threads: the catalog and the conversations use it.

Each thread gets its own connection (WAL, so readers never block the writer), and every
connection is also kept in a list, so :meth:`Database.close` closes the other threads'
connections too. Writes run in IMMEDIATE transactions under one lock. The file holds the
user's text: it is created readable by its owner only.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class DatabaseClosedError(RuntimeError):
    """A database used after it was shut (a bug: readers must hold what they read)."""


class Database:
    def __init__(self, path: Path, schema: str):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.path = path
        self.closed = False
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._epoch = 0
        self._write_lock = threading.RLock()
        with self._write_lock:
            self.db.executescript(schema)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.epoch != self._epoch:
            if self.closed:
                raise DatabaseClosedError(f"{self.path} is closed")
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.row_factory = sqlite3.Row
            self.connected(conn)
            self._local.conn = conn
            self._local.epoch = self._epoch
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def connected(self, conn: sqlite3.Connection) -> None:
        """Set up a new connection (functions its schema uses); nothing by default."""

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

    def close(self) -> None:
        """Close every thread's connection. A later use opens new ones (an explicit
        :meth:`shut` makes later use an error instead)."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
            self._epoch += 1
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def shut(self) -> None:
        self.closed = True
        self.close()
