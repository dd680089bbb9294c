"""Feedback on answers: 👍/👎 with an optional comment, kept with the question, the answer and its citations, and
exported as items of the eval set (evals/dataset.py reads them: `auditqa eval --items FILE`).

A 👍 on a grounded answer becomes an item whose gold passages are the answer's quotes; a 👍 on a refusal, an
unanswerable item; a 👎 an item marked `"review": true`, which the eval skips until someone writes its gold.
"""

import json
import re
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from service.chat.store import Turn


class FeedbackError(Exception):
    """The feedback store cannot be read or written."""


@dataclass(frozen=True)
class Feedback:
    id: int
    conversation_id: str
    turn: int
    rating: str  # "up" | "down"
    comment: str | None
    question: str
    resolved_question: str
    answer: str
    grounded: bool
    citations: tuple[dict, ...]
    created_at: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    rating TEXT NOT NULL,
    comment TEXT,
    question TEXT NOT NULL,
    resolved_question TEXT NOT NULL,
    answer TEXT NOT NULL,
    grounded INTEGER NOT NULL,
    citations TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (owner, conversation_id, turn)
);
"""
# Words of a cited quote that an item's must_contain asks the answer to repeat: enough to pin the passage.
FACT_WORDS = 4


class FeedbackStore:
    """One row per rated turn (rating it again replaces the rating), in SQLite beside the conversations."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db:
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackError(f"{self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def record(self, owner: str, conversation_id: str, turn: Turn, rating: str, comment: str | None) -> Feedback:
        now = self.clock()
        try:
            with closing(self._connect()) as db:
                db.execute(
                    "INSERT INTO feedback (owner, conversation_id, turn, rating, comment, question, resolved_question, answer, grounded, citations, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (owner, conversation_id, turn) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, created_at = excluded.created_at",
                    (owner, conversation_id, turn.seq, rating, comment, turn.question, turn.resolved_question, turn.answer, int(turn.grounded),
                     json.dumps(list(turn.citations), ensure_ascii=False), now),
                )
                row_id = db.execute("SELECT id FROM feedback WHERE owner = ? AND conversation_id = ? AND turn = ?", (owner, conversation_id, turn.seq)).fetchone()[0]
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: {exc}") from exc
        return Feedback(row_id, conversation_id, turn.seq, rating, comment, turn.question, turn.resolved_question, turn.answer, turn.grounded, turn.citations, now)

    def all(self) -> list[Feedback]:
        """Every caller's feedback, oldest first."""
        try:
            with closing(self._connect()) as db:
                rows = db.execute(
                    "SELECT id, conversation_id, turn, rating, comment, question, resolved_question, answer, grounded, citations, created_at"
                    " FROM feedback ORDER BY id"
                ).fetchall()
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: {exc}") from exc
        return [Feedback(*row[:8], bool(row[8]), tuple(json.loads(row[9])), row[10]) for row in rows]


def _fact(quote: str) -> str:
    """A regex for the quote's first words, spacing free: a grounded answer quotes its passages word for word."""
    return r"\s+".join(re.escape(word) for word in quote.split()[:FACT_WORDS])


def eval_item(feedback: Feedback) -> dict:
    """The feedback as one line of the eval set (evals/dataset.py's fields)."""
    said = f"Svaret: {feedback.answer}" + (f" Kommentar: {feedback.comment}" if feedback.comment else "")
    item = {"id": f"feedback-{feedback.id}", "kind": "fact", "question": feedback.resolved_question}
    if feedback.rating == "down":
        return {**item, "answerable": True, "review": True, "gold": [], "must_contain": [], "must_not_contain": [], "notes": f"👎 att granska. {said}"}
    if not feedback.grounded or not feedback.citations:
        return {**item, "kind": "unanswerable", "answerable": False, "gold": [], "must_contain": [], "must_not_contain": [], "notes": f"👍 på ett svar utan stöd. {said}"}
    quotes = list(dict.fromkeys((c["document_id"], c["quote"]) for c in feedback.citations))
    return {
        **item, "answerable": True,
        "gold": [{"document_id": d, "quote": q} for d, q in quotes],
        "must_contain": [[_fact(q)] for _, q in quotes],
        "must_not_contain": [],
        "notes": f"👍 från användare. {said}",
    }
