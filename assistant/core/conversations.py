"""Conversations: the questions asked and the answers given, kept in SQLite in the data dir.

They live apart from the index (a rebuilt index keeps them). An answer is stored with its
citations and the engine's verdict, so a reopened conversation shows the same sources. A
deleted conversation is only marked deleted until :meth:`Conversations.purge` (the window
offers Undo), and search looks in titles and in every message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id);
"""

TITLE_CHARS = 60


@dataclass
class Message:
    id: int
    conversation_id: int
    role: str  # "user" or "assistant"
    text: str
    data: dict[str, Any] = field(default_factory=dict)  # an answer's AnswerDone.to_json()
    created_at: float = 0.0


@dataclass
class Conversation:
    id: int
    title: str
    created_at: float
    updated_at: float
    snippet: str = ""  # where a search matched


def title_from(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


class Conversations(Database):
    def __init__(self, path: Path):
        super().__init__(path, SCHEMA)

    # Conversations ---------------------------------------------------------------

    def create(self, title: str = "New chat") -> int:
        now = time.time()
        with self.transaction() as db:
            cur = db.execute("INSERT INTO conversations(title, created_at, updated_at) "
                             "VALUES (?, ?, ?)", (title, now, now))
            return int(cur.lastrowid or 0)

    def get(self, conversation_id: int) -> Conversation | None:
        row = self.db.execute("SELECT * FROM conversations WHERE id = ? AND deleted_at IS NULL",
                              (conversation_id,)).fetchone()
        return Conversation(row["id"], row["title"], row["created_at"], row["updated_at"]) \
            if row else None

    def list(self, search: str = "") -> list[Conversation]:
        """Newest first; with ``search``, those whose title or any message holds it."""
        if not search.strip():
            rows = self.db.execute("SELECT * FROM conversations WHERE deleted_at IS NULL "
                                   "ORDER BY updated_at DESC, id DESC")
            return [Conversation(r["id"], r["title"], r["created_at"], r["updated_at"])
                    for r in rows]
        needle = search.strip().lower()
        out = []
        rows = self.db.execute(
            "SELECT c.*, (SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND "
            "instr(lower(m.text), ?) > 0 ORDER BY m.id LIMIT 1) AS hit FROM conversations c "
            "WHERE c.deleted_at IS NULL ORDER BY c.updated_at DESC, c.id DESC", (needle,))
        for r in rows:
            if needle in r["title"].lower() or r["hit"]:
                out.append(Conversation(r["id"], r["title"], r["created_at"], r["updated_at"],
                                        _snippet(r["hit"] or r["title"], needle)))
        return out

    def rename(self, conversation_id: int, title: str) -> None:
        title = " ".join(title.split()) or "Untitled"
        with self.transaction() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?",
                       (title, conversation_id))

    def delete(self, conversation_id: int) -> None:
        """Hide it (restore() undoes this until purge())."""
        with self.transaction() as db:
            db.execute("UPDATE conversations SET deleted_at = ? WHERE id = ?",
                       (time.time(), conversation_id))

    def restore(self, conversation_id: int) -> None:
        with self.transaction() as db:
            db.execute("UPDATE conversations SET deleted_at = NULL WHERE id = ?",
                       (conversation_id,))

    def purge(self, older_than_s: float = 0.0) -> int:
        """Remove for good the conversations deleted more than ``older_than_s`` ago."""
        with self.transaction() as db:
            cur = db.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL AND "
                             "deleted_at <= ?", (time.time() - older_than_s,))
            return cur.rowcount

    # Messages --------------------------------------------------------------------

    def messages(self, conversation_id: int) -> list[Message]:
        rows = self.db.execute("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id",
                               (conversation_id,))
        return [Message(r["id"], r["conversation_id"], r["role"], r["text"],
                        json.loads(r["data"] or "{}"), r["created_at"]) for r in rows]

    def add(self, conversation_id: int, role: str, text: str,
            data: dict[str, Any] | None = None) -> int:
        now = time.time()
        with self.transaction() as db:
            cur = db.execute("INSERT INTO messages(conversation_id, role, text, data, created_at)"
                             " VALUES (?, ?, ?, ?, ?)",
                             (conversation_id, role, text, json.dumps(data or {}), now))
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                       (now, conversation_id))
            return int(cur.lastrowid or 0)

    def update(self, message_id: int, text: str, data: dict[str, Any] | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE messages SET text = ?, data = ? WHERE id = ?",
                       (text, json.dumps(data or {}), message_id))

    def delete_from(self, message_id: int) -> None:
        """Drop a message and everything after it in its conversation (regenerate)."""
        with self.transaction() as db:
            row = db.execute("SELECT conversation_id FROM messages WHERE id = ?",
                             (message_id,)).fetchone()
            if row:
                db.execute("DELETE FROM messages WHERE conversation_id = ? AND id >= ?",
                           (row[0], message_id))

    def history(self, conversation_id: int, turns: int = 3) -> list[tuple[str, str]]:
        """The last ``turns`` (question, answer) pairs, oldest first, for follow-ups."""
        pairs: list[tuple[str, str]] = []
        question = None
        for m in self.messages(conversation_id):
            if m.role == "user":
                question = m.text
            elif m.role == "assistant" and question is not None:
                pairs.append((question, m.text))
                question = None
        return pairs[-turns:]


def _snippet(text: str, needle: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    at = flat.lower().find(needle)
    if at < 0:
        return flat[:width]
    start = max(0, at - width // 3)
    out = flat[start:start + width]
    return ("…" if start else "") + out + ("…" if start + width < len(flat) else "")
