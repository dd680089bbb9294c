"""The SQLite file under AUDITQA_HOME that the catalog and the findings share: one way to open it."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path, functions: dict[str, Callable] | None = None) -> Iterator[sqlite3.Connection]:
    """A connection in WAL mode (readers never wait for the ingest writer), committed on success."""
    db = sqlite3.connect(path, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    for name, function in (functions or {}).items():
        db.create_function(name, 1, function, deterministic=True)
    try:
        with db:
            yield db
    finally:
        db.close()


def ensure_schema(path: Path, schema: str, added_columns: tuple[tuple[str, str, str], ...] = ()) -> None:
    """Create the tables, and add the (table, column, type) columns that a file from an older version lacks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as db:
        db.executescript(schema)
        for table, column, kind in added_columns:
            if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
