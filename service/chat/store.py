"""Conversations: a bounded SQLite store of turns, expiring idle conversations and evicting the least recently used.

Each conversation belongs to the caller that started it (`owner`: an API key's digest, "" for the local user
when no keys are configured); to anyone else its id is unknown.
"""

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.config import Settings


class ConversationError(Exception):
    """The conversation store cannot be read or written."""


class ConversationNotFoundError(Exception):
    """No conversation of this caller has this id (unknown, expired, or another caller's)."""


@dataclass(frozen=True)
class Turn:
    question: str
    resolved_question: str
    answer: str = ""
    grounded: bool = False
    document_ids: tuple[str, ...] = ()
    created_at: float = 0.0
    # What the answer cited, as the API shows citations: a reopened conversation shows the same sources.
    citations: tuple[dict, ...] = ()
    answerer: str = ""
    seq: int = 0  # the turn's number in its conversation, kept when older turns are dropped


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    created_at: float
    updated_at: float
    turns: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL DEFAULT '',
    title TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    resolved_question TEXT NOT NULL,
    answer TEXT NOT NULL,
    grounded INTEGER NOT NULL,
    document_ids TEXT NOT NULL,
    created_at REAL NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    answerer TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (conversation_id, seq)
);
"""


class ConversationStore:
    """Turns per conversation in SQLite: survives restarts, forgets idle conversations, stays bounded.

    One connection per thread, opened on the thread's first call and kept (a question costs its statements, not an
    open and a close of the file); writes are short IMMEDIATE transactions in WAL mode, so the store is safe to share
    between request threads and between processes over the same file. A connection that fails is dropped and the
    thread's next call opens a new one. Every connection commits with `synchronous=FULL`: the log is on the disk
    before `append` returns, so a turn acknowledged to a client survives a crash of the process or of the machine.
    A question reads the conversation's last turn only (what a follow-up is resolved against), and a turn added to a
    conversation checks the bound on conversations only when it starts one (the check walks every conversation).
    """

    def __init__(self, path: Path, ttl_s: float = 24 * 3600, max_turns: int = 20, max_conversations: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        if ttl_s <= 0 or max_turns < 1 or max_conversations < 1:
            raise ValueError("ttl_s, max_turns and max_conversations must be positive")
        self.path = Path(path)
        self.ttl_s = ttl_s
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self.clock = clock
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(conversations)")}
                if "owner" not in columns:  # a store written before conversations had owners: they were the local user's
                    db.execute("ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
                if "title" not in columns:  # before conversations could be renamed: each is named by its first question
                    db.execute("ALTER TABLE conversations ADD COLUMN title TEXT")
                turn_columns = {row[1] for row in db.execute("PRAGMA table_info(turns)")}
                if "citations" not in turn_columns:  # turns kept before citations were: reopened without sources
                    db.execute("ALTER TABLE turns ADD COLUMN citations TEXT NOT NULL DEFAULT '[]'")
                    db.execute("ALTER TABLE turns ADD COLUMN answerer TEXT NOT NULL DEFAULT ''")
        except (OSError, sqlite3.Error) as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> "ConversationStore":
        return cls(settings.conversations_path, settings.conversation_ttl_s, settings.conversation_max_turns, settings.conversation_max_count)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection; dropped (closed) when a statement on it fails, so that a broken one is not kept."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA synchronous=FULL")  # SQLite's usual default, but a build may lower it for WAL
        try:
            yield db
        except sqlite3.Error:
            self._local.db = None
            db.close()
            raise

    def close(self) -> None:
        """Close the calling thread's connection (others close with their threads)."""
        db, self._local.db = getattr(self._local, "db", None), None
        if db is not None:
            db.close()

    def history(self, conversation_id: str, owner: str = "") -> list[Turn]:
        """The kept turns, oldest first; [] for an unknown or expired conversation, or one of another owner."""
        return self._turns(conversation_id, owner, -1)

    def last_turn(self, conversation_id: str, owner: str = "") -> Turn | None:
        """The latest kept turn (what a follow-up is resolved against), one row read; None as `history` gives []."""
        turns = self._turns(conversation_id, owner, 1)
        return turns[0] if turns else None

    def _turns(self, conversation_id: str, owner: str, limit: int) -> list[Turn]:
        """The latest `limit` turns (-1: all), oldest first."""
        now = self.clock()
        try:
            with self._connection() as db:
                row = db.execute("SELECT updated_at FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)).fetchone()
                if row is None:
                    return []
                if row[0] < now - self.ttl_s:
                    db.execute("BEGIN IMMEDIATE")
                    self._delete(db, [conversation_id])
                    db.execute("COMMIT")
                    return []
                rows = db.execute(
                    "SELECT question, resolved_question, answer, grounded, document_ids, created_at, citations, answerer, seq FROM turns"
                    " WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?",
                    (conversation_id, limit),
                ).fetchall()[::-1]
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc
        return [Turn(q, r, a, bool(g), tuple(json.loads(d)), c, tuple(json.loads(cs)), w, n) for q, r, a, g, d, c, cs, w, n in rows]

    def append(self, conversation_id: str, turn: Turn, owner: str = "") -> int:
        """Add a turn (starting the conversation, as `owner`'s, if it is new), then enforce expiry and the size bounds.

        Returns the turn's number in the conversation."""
        now = self.clock()
        try:
            with self._connection() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    row = db.execute("SELECT updated_at FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)).fetchone()
                    if row is not None and row[0] < now - self.ttl_s:
                        self._delete(db, [conversation_id])
                        row = None
                    if row is None:
                        # Ids are the server's own (uuid4): another owner's id here is a bug, and the primary key refuses it.
                        db.execute(
                            "INSERT INTO conversations (id, owner, created_at, updated_at) VALUES (?, ?, ?, ?)", (conversation_id, owner, now, now)
                        )
                    else:
                        db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
                    seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]
                    db.execute(
                        "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            conversation_id, seq, turn.question, turn.resolved_question, turn.answer, int(turn.grounded),
                            json.dumps(list(turn.document_ids)), now, json.dumps(list(turn.citations), ensure_ascii=False), turn.answerer,
                        ),
                    )
                    db.execute("DELETE FROM turns WHERE conversation_id = ? AND seq <= ?", (conversation_id, seq - self.max_turns))
                    self._evict(db, now, started=row is None)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc
        return seq

    def conversations(self, owner: str = "") -> list[ConversationSummary]:
        """The owner's live conversations, most recently used first; each titled by its name or its first question."""
        since = self.clock() - self.ttl_s
        try:
            with self._connection() as db:
                rows = db.execute(
                    "SELECT c.id, COALESCE(c.title, (SELECT question FROM turns t WHERE t.conversation_id = c.id ORDER BY seq LIMIT 1), ''),"
                    " c.created_at, c.updated_at, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id)"
                    " FROM conversations c WHERE c.owner = ? AND c.updated_at >= ? ORDER BY c.updated_at DESC, c.rowid DESC",
                    (owner, since),
                ).fetchall()
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc
        return [ConversationSummary(*row) for row in rows]

    def rename(self, conversation_id: str, title: str, owner: str = "") -> None:
        """Name the owner's conversation; raises ConversationNotFoundError when the owner has none of this id."""
        self._change("UPDATE conversations SET title = ? WHERE id = ? AND owner = ? AND updated_at >= ?", (title, conversation_id, owner), conversation_id)

    def delete(self, conversation_id: str, owner: str = "") -> None:
        """Forget the owner's conversation and its turns; raises ConversationNotFoundError when the owner has none of this id."""
        self._change("DELETE FROM conversations WHERE id = ? AND owner = ? AND updated_at >= ?", (conversation_id, owner), conversation_id)
        try:
            with self._connection() as db:
                db.execute("DELETE FROM turns WHERE conversation_id = ? AND NOT EXISTS (SELECT 1 FROM conversations WHERE id = ?)", (conversation_id, conversation_id))
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc

    def _change(self, sql: str, params: tuple, conversation_id: str) -> None:
        try:
            with self._connection() as db:
                changed = db.execute(sql, (*params, self.clock() - self.ttl_s)).rowcount
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc
        if not changed:
            raise ConversationNotFoundError(f"Samtalet '{conversation_id}' finns inte (okänt, utgånget eller någon annans).")

    def _evict(self, db: sqlite3.Connection, now: float, started: bool) -> None:
        """Forget the expired conversations (found by the index on updated_at) and, where a conversation was just
        `started` (only that adds one), the least recently used beyond the bound."""
        expired = [r[0] for r in db.execute("SELECT id FROM conversations WHERE updated_at < ?", (now - self.ttl_s,))]
        surplus = [
            r[0]
            for r in db.execute(
                "SELECT id FROM conversations ORDER BY updated_at DESC, rowid DESC LIMIT -1 OFFSET ?", (self.max_conversations,)
            )
        ] if started else []
        self._delete(db, list(dict.fromkeys(expired + surplus)))

    @staticmethod
    def _delete(db: sqlite3.Connection, ids: list[str]) -> None:
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ",".join("?" * len(batch))
            db.execute(f"DELETE FROM turns WHERE conversation_id IN ({marks})", batch)
            db.execute(f"DELETE FROM conversations WHERE id IN ({marks})", batch)

    def count(self) -> int:
        """Conversations kept (expired ones included until the next write purges them)."""
        try:
            with self._connection() as db:
                return db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
        except sqlite3.Error as exc:
            raise ConversationError(f"{self.path}: {exc}") from exc
