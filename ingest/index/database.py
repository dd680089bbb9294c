"""The SQLite file under AUDITQA_HOME that the catalog and the findings share: one way to open it."""

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.index.disk import disk_full, full_disk_under

REBUILD_HINT = "bygg om den från filerna med `auditqa ingest --rebuild`"


class DatabaseUnavailableError(Exception):
    """The catalog file cannot be used right now (locked past the timeout, unreadable, the disk)."""


class DatabaseCorruptError(DatabaseUnavailableError):
    """The catalog file is empty or not a SQLite database any more; it has to be rebuilt from the files."""


@contextmanager
def connect(path: Path, functions: dict[str, Callable] | None = None) -> Iterator[sqlite3.Connection]:
    """A connection in WAL mode (readers never wait for the ingest writer), committed on success. A locked, unreadable
    or damaged file raises DatabaseUnavailableError (the service answers 503); a mistake in a statement does not."""
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # kept in the file: set once, not on every read
                db.execute("PRAGMA journal_mode=WAL")
            for name, function in (functions or {}).items():
                db.create_function(name, 1, function, deterministic=True)
            with db:
                yield db
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        if full_disk_under(exc, path.parent):
            raise disk_full(path.parent) from exc
        raise DatabaseUnavailableError(f"katalogen '{path}' går inte att använda: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
            raise
        raise DatabaseCorruptError(f"katalogen '{path}' är skadad ({exc}); {REBUILD_HINT}") from exc


def check_intact(path: Path, thorough: bool = True) -> None:
    """At start-up: a catalog file that is empty or garbled is named, with how to rebuild it, instead of serving an
    empty index or failing on the first query. SQLite would take a zero-byte file for a new, empty database.
    `thorough`: `PRAGMA quick_check`, which reads the whole file (0.7 s at 10,000 reports, at every start), once for
    each state of the file: a check that passed is recorded with the file's and its log's identity, size and change
    times (`_stamp`), and while they are the same only the header and schema are read. Anything that writes the
    file (a transaction, a checkpoint, a copy, a truncation, another file put in its place) changes them, so the
    bytes checked are the bytes there. Otherwise (the unit vectors' file: its check would take 30 s from disk at
    10,000 reports, docs/scale.md) only the header and schema are read. Damage a check does not see (a page no
    statement has read yet) is still named when it is read: `connect` turns SQLite's error into DatabaseCorruptError."""
    if not path.exists():
        return
    wal = path.with_name(path.name + "-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise DatabaseCorruptError(f"katalogen '{path}' är tom (0 byte) fast den borde innehålla indexet; {REBUILD_HINT}")
    checked = path.with_name(path.name + ".checked")
    stamp = _stamp(path)
    if not thorough or _read_stamp(checked) == stamp:
        with connect(path) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return
    with connect(path) as db:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise DatabaseCorruptError(f"katalogen '{path}' är skadad ({result}); {REBUILD_HINT}")
    if _stamp(path) == stamp:  # nothing wrote it while it was checked
        tmp = checked.with_name(f"{checked.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(stamp), encoding="utf-8")
            tmp.replace(checked)
        except OSError:  # checked again next time
            tmp.unlink(missing_ok=True)


def _stamp(path: Path) -> list[list[int] | None]:
    """The file's and its write-ahead log's device, inode, size, and modification and change times (the change time
    cannot be set back by a program that writes the file)."""
    stamps: list[list[int] | None] = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            st = file.stat()
        except FileNotFoundError:
            stamps.append(None)
            continue
        stamps.append([st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return stamps


def _read_stamp(checked: Path) -> list | None:
    try:
        return json.loads(checked.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_schema(path: Path, schema: str, added_columns: tuple[tuple[str, str, str], ...] = ()) -> None:
    """Create the tables, and add the (table, column, type) columns that a file from an older version lacks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as db:
        db.executescript(schema)
        for table, column, kind in added_columns:
            if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
