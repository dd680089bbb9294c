"""The catalog: which version of each document is live, its metadata, text and chunks (SQLite).

The vector store (Chroma for chunks, `units.sqlite3` for their units) holds the vectors; the catalog decides what
queries may see. A document's new vectors are written first and only become visible when its catalog row flips to
the new content hash in one transaction, so a query never sees a mix of old and new chunks, and a crash in between
leaves only invisible orphans that the next ingest removes.
"""

import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ingest.documents.metadata import DocumentMetadata
from ingest.index.database import check_intact, connect, ensure_schema
from ingest.structure.chunking import Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    text TEXT NOT NULL,
    source_path TEXT NOT NULL,
    pages TEXT NOT NULL DEFAULT '[]',
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    position INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    section TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    context TEXT NOT NULL,
    units TEXT NOT NULL,
    page INTEGER,
    part TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (document_id, content_hash);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- A delete in progress: written before anything is removed, cleared with the catalog row; one left by a crash or a
-- store that failed mid-delete is finished by the next ingest or start-up.
CREATE TABLE IF NOT EXISTS deleting (document_id TEXT PRIMARY KEY, files TEXT NOT NULL);
-- Versions whose vectors may be in the vector store without being live: 'writing' is recorded before a version's
-- vectors are written (a crash leaves it behind), 'retired' by the switch that replaced the version. Ingest deletes
-- the vectors of exactly these and forgets them, so cleaning up costs what changed, not a sweep of every document.
CREATE TABLE IF NOT EXISTS stale_versions (
    document_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (document_id, content_hash)
);
-- Which stored vector embeds a text (text_key: the model and the exact text), so that ingest finds the vectors it
-- can reuse with an indexed read here instead of a metadata query over every vector in Chroma. Rows go with their
-- version (forget_stale, remove); one that outlived its vector (a sweep) is a miss, and the text is embedded again.
CREATE TABLE IF NOT EXISTS vector_keys (
    kind TEXT NOT NULL,
    text_key TEXT NOT NULL,
    vector_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (kind, text_key)
);
CREATE INDEX IF NOT EXISTS vector_keys_by_version ON vector_keys (document_id, content_hash);
-- A report file as it was when its live version was read: its size and modification time, with what else the
-- content hash depends on (the pipeline, the model, the manifest entry). An ingest that finds the file so again,
-- and that version still live, knows it unchanged without reading it.
CREATE TABLE IF NOT EXISTS file_stamps (
    source_path TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    document_id TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
"""
# Keys per lookup statement: SQLite binds one variable per key and older builds refuse more than 999.
_KEYS_PER_READ = 500
# Chunk rows read at a time where every chunk is read (Catalog.chunks).
_ROWS_PER_PAGE = 2_000
# Set once the catalog has recorded every version it replaced since it was created (or since a full sweep of the
# vector store); a catalog from before stale_versions, or one set aside by --rebuild, gets one full sweep.
VERSIONS_TRACKED = "versions_tracked"


@dataclass(frozen=True)
class DocumentRecord:
    document_id: str
    content_hash: str
    metadata: DocumentMetadata
    source_path: str
    chunk_count: int
    pages: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)  # one for every live chunk, as Chunk
class ChunkRecord:
    """A live chunk with its document's metadata, as retrieval and answering need it."""

    chunk: Chunk
    metadata: DocumentMetadata
    position: int
    content_hash: str
    # The document's (page, char_start, char_end) spans; empty for formats without pages.
    pages: tuple[tuple[int, int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page a reader opens for this offset (a quote may lie on a later page than its chunk starts)."""
        for number, start, end in self.pages:
            if start <= offset < end:
                return number
        return self.chunk.page


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        check_intact(path)
        # A catalog from before the report model lacks the part; PIPELINE_VERSION re-ingests its documents.
        ensure_schema(path, _SCHEMA, added_columns=(("chunks", "part", "TEXT NOT NULL DEFAULT ''"),))

    def _connect(self):
        return connect(self.path)

    @property
    def generation(self) -> int:
        """Bumped on every change of what is live, so derived indexes can tell they are stale."""
        with self._connect() as db:
            row = db.execute("SELECT value FROM state WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def content_hash(self, document_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT content_hash FROM documents WHERE document_id=?", (document_id,)).fetchone()
        return row[0] if row else None

    def content_hashes(self) -> dict[str, str]:
        """The live content hash of every document, in one read."""
        with self._connect() as db:
            return dict(db.execute("SELECT document_id, content_hash FROM documents"))

    def file_stamps(self) -> dict[str, tuple[str, str, str]]:
        """source path -> (stamp, document id, content hash) of the files read for live versions, in one read."""
        with self._connect() as db:
            return {path: (stamp, document_id, content_hash) for path, stamp, document_id, content_hash in db.execute(
                "SELECT source_path, stamp, document_id, content_hash FROM file_stamps"
            )}

    def record_stamps(self, stamps: list[tuple[str, str, str, str]]) -> None:
        """(source path, stamp, document id, content hash) of files read in this run."""
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO file_stamps (source_path, stamp, document_id, content_hash) VALUES (?, ?, ?, ?)", stamps)

    def activate(
        self,
        metadata: DocumentMetadata,
        content_hash: str,
        text: str,
        source_path: str,
        chunks: list[Chunk],
        pages: tuple[tuple[int, int, int], ...] = (),
    ) -> None:
        """Make this version of the document the live one, replacing any earlier version atomically; the replaced
        version is recorded as retired (its vectors are deleted by `forget_stale` once they are gone)."""
        with self._connect() as db:
            old = db.execute("SELECT content_hash FROM documents WHERE document_id=?", (metadata.document_id,)).fetchone()
            if old is not None and old[0] != content_hash:
                db.execute(
                    "INSERT OR REPLACE INTO stale_versions (document_id, content_hash, state) VALUES (?, ?, 'retired')",
                    (metadata.document_id, old[0]),
                )
            db.execute("DELETE FROM stale_versions WHERE document_id=? AND content_hash=?", (metadata.document_id, content_hash))
            db.execute("DELETE FROM chunks WHERE document_id=?", (metadata.document_id,))
            db.execute(
                "INSERT OR REPLACE INTO documents (document_id, content_hash, metadata, text, source_path, pages)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (metadata.document_id, content_hash, json.dumps(metadata.as_dict(), ensure_ascii=False), text,
                 source_path, json.dumps(pages)),
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (c.chunk_id, c.document_id, content_hash, i, c.char_start, c.char_end, c.section,
                     c.heading_path, c.kind, c.context, json.dumps(c.units), c.page, c.part)
                    for i, c in enumerate(chunks)
                ],
            )
            self._bump(db)

    def begin_version(self, document_id: str, content_hash: str) -> None:
        self.begin_versions([(document_id, content_hash)])

    def begin_versions(self, versions: list[tuple[str, str]]) -> None:
        """Record, before their vectors are written, that these (document id, content hash) versions may leave
        vectors behind if they never go live; one transaction for the lot."""
        with self._connect() as db:
            for document_id, content_hash in versions:
                live = db.execute("SELECT content_hash FROM documents WHERE document_id=?", (document_id,)).fetchone()
                if live is None or live[0] != content_hash:
                    db.execute(
                        "INSERT OR IGNORE INTO stale_versions (document_id, content_hash, state) VALUES (?, ?, 'writing')",
                        (document_id, content_hash),
                    )

    def stale_versions(self, document_id: str | None = None) -> list[tuple[str, str]]:
        """(document_id, content_hash) of the versions that are not live and may still have vectors (of one document,
        or of all)."""
        query = (
            "SELECT s.document_id, s.content_hash FROM stale_versions s LEFT JOIN documents d"
            " ON d.document_id = s.document_id AND d.content_hash = s.content_hash WHERE d.document_id IS NULL"
        )
        with self._connect() as db:
            if document_id is None:
                rows = db.execute(query + " ORDER BY s.document_id, s.content_hash")
            else:
                rows = db.execute(query + " AND s.document_id = ? ORDER BY s.content_hash", (document_id,))
            return [(d, h) for d, h in rows]

    def forget_stale(self, versions: list[tuple[str, str]]) -> None:
        """The vectors of these versions are gone."""
        with self._connect() as db:
            db.executemany("DELETE FROM stale_versions WHERE document_id=? AND content_hash=?", versions)
            db.executemany("DELETE FROM vector_keys WHERE document_id=? AND content_hash=?", versions)

    def record_vectors(self, document_id: str, content_hash: str, rows: list[tuple[str, str, str]]) -> None:
        """(kind, text_key, vector_id) of the vectors just written for this version; a key already recorded now names
        this version's vector, the newest."""
        with self._connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO vector_keys (kind, text_key, vector_id, document_id, content_hash) VALUES (?, ?, ?, ?, ?)",
                [(kind, key, vector_id, document_id, content_hash) for kind, key, vector_id in rows],
            )

    def vector_ids(self, kind: str, keys: list[str]) -> dict[str, str]:
        """The recorded vector of each of these text keys that has one (kind "chunk" or "unit"): text_key -> vector id."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        with self._connect() as db:
            for offset in range(0, len(wanted), _KEYS_PER_READ):
                batch = wanted[offset : offset + _KEYS_PER_READ]
                found.update(db.execute(
                    f"SELECT text_key, vector_id FROM vector_keys WHERE kind=? AND text_key IN ({','.join('?' * len(batch))})",
                    (kind, *batch),
                ))
        return found

    def versions_tracked(self) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM state WHERE key=?", (VERSIONS_TRACKED,)).fetchone() is not None

    def mark_versions_tracked(self) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, '1')", (VERSIONS_TRACKED,))

    def mark_deleting(self, document_id: str, files: list[str]) -> None:
        """Record the intent to delete the document and these files of it, before any of it is removed."""
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO deleting (document_id, files) VALUES (?, ?)", (document_id, json.dumps(files)))

    def pending_deletes(self) -> dict[str, list[str]]:
        """Deletes recorded and not finished: document id -> its files to remove."""
        with self._connect() as db:
            return {d: json.loads(f) for d, f in db.execute("SELECT document_id, files FROM deleting")}

    def remove(self, document_id: str) -> bool:
        """Drop the document's rows and its delete intent in one transaction."""
        with self._connect() as db:
            deleted = db.execute("DELETE FROM documents WHERE document_id=?", (document_id,)).rowcount
            db.execute("DELETE FROM chunks WHERE document_id=?", (document_id,))
            # Its vectors were deleted before this (all versions): nothing of it is left to collect.
            db.execute("DELETE FROM stale_versions WHERE document_id=?", (document_id,))
            db.execute("DELETE FROM vector_keys WHERE document_id=?", (document_id,))
            db.execute("DELETE FROM file_stamps WHERE document_id=?", (document_id,))
            db.execute("DELETE FROM deleting WHERE document_id=?", (document_id,))
            if deleted:
                self._bump(db)
        return bool(deleted)

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO state (key, value) VALUES ('generation', '1')"
            " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def documents(self, document_ids: Collection[str] | None = None) -> list[DocumentRecord]:
        """Every live document (or those of `document_ids`, read by key: a page of a list, one document), by id."""
        wanted = None if document_ids is None else sorted(set(document_ids))
        batches = [None] if wanted is None else [wanted[i : i + _KEYS_PER_READ] for i in range(0, len(wanted), _KEYS_PER_READ)]
        rows = []
        with self._connect() as db:
            db.execute("BEGIN")  # the batches of one read see one state of the catalog
            for batch in batches:
                where = "" if batch is None else f" WHERE d.document_id IN ({','.join('?' * len(batch))})"
                rows += db.execute(
                    "SELECT d.document_id, d.content_hash, d.metadata, d.source_path, d.pages,"
                    " (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.document_id)"
                    f" FROM documents d{where} ORDER BY d.document_id", batch or ()
                ).fetchall()
        return [
            DocumentRecord(r[0], r[1], _metadata(r[2]), r[3], r[5], tuple(tuple(p) for p in json.loads(r[4])))
            for r in rows
        ]

    def document(self, document_id: str) -> DocumentRecord | None:
        """One live document, by key."""
        found = self.documents((document_id,))
        return found[0] if found else None

    def document_text(self, document_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT text FROM documents WHERE document_id=?", (document_id,)).fetchone()
        return row[0] if row else None

    def versions(self) -> tuple[int, dict[str, str]]:
        """The generation and the live content hash of every document, read together (what a derived index is
        brought up to)."""
        with self._connect() as db:
            db.execute("BEGIN")
            row = db.execute("SELECT value FROM state WHERE key='generation'").fetchone()
            hashes = dict(db.execute("SELECT document_id, content_hash FROM documents"))
        return (int(row[0]) if row else 0), hashes

    def unit_counts(self) -> list[tuple[str, str, str, int]]:
        """(document id, content hash, chunk id, number of units) of every live chunk with units, without their texts."""
        with self._connect() as db:
            rows = db.execute("SELECT document_id, content_hash, chunk_id, units FROM chunks ORDER BY document_id, position").fetchall()
        counted = [(document_id, content_hash, chunk_id, len(json.loads(units))) for document_id, content_hash, chunk_id, units in rows]
        return [row for row in counted if row[3]]

    def chunks(self, document_ids: Collection[str] | None = None) -> list[ChunkRecord]:
        """Every live chunk (or those of `document_ids`), in document order, with its text cut from the stored
        document text."""
        where, keys = "", ()
        wanted = None if document_ids is None else set(document_ids)
        if wanted is not None and len(wanted) <= _KEYS_PER_READ:
            keys = tuple(sorted(wanted))
            where = f" WHERE document_id IN ({','.join('?' * len(keys))})"
        # SQLite makes a new string of each value it returns; the values a document's chunks repeat (its id and hash,
        # kinds, parts, sections, headings, a context) are held once (about 70 MB at 10,000 reports).
        held: dict[str, str] = {}
        same = held.setdefault
        records = []
        with self._connect() as db:
            # One read transaction: an activation committed between the reads would cut the new chunks' offsets out
            # of the old text.
            db.execute("BEGIN")
            docs = {
                r[0]: (_metadata(r[1]), tuple(tuple(p) for p in json.loads(r[2])))
                for r in db.execute(f"SELECT document_id, metadata, pages FROM documents{where}", keys)
            }
            rows = db.execute(
                "SELECT chunk_id, document_id, position, char_start, char_end, section, heading_path, kind, context,"
                f" units, page, content_hash, part FROM chunks{where} ORDER BY document_id, position", keys
            )
            # A page of rows, and one document's text, at a time (the texts in the same order as the rows): holding
            # every row, every text and every chunk's parsed spans at once left the process hundreds of MB larger at
            # 10,000 reports than the records are.
            texts = db.execute(f"SELECT document_id, text FROM documents{where} ORDER BY document_id", keys)
            reading, text = None, ""
            while page := rows.fetchmany(_ROWS_PER_PAGE):
                if wanted is not None:  # more documents asked for than one statement binds
                    page = [row for row in page if row[1] in wanted]
                # A page's sentence spans parsed in one pass: a parse per chunk was a second of start-up at 10,000 reports.
                spans = json.loads("[" + ",".join(row[9] for row in page) + "]")
                for (chunk_id, document_id, position, start, end, section, path, kind, context, _, number, content_hash, part), units in zip(page, spans, strict=True):
                    while reading != document_id:  # documents without chunks are passed over
                        reading, text = next(texts)
                    metadata, pages = docs[document_id]
                    chunk = Chunk(
                        chunk_id=chunk_id, document_id=same(document_id, document_id), char_start=start, char_end=end,
                        text=text[start:end], section=same(section, section), heading_path=same(path, path),
                        kind=same(kind, kind), context=same(context, context), units=tuple(map(tuple, units)),
                        page=number, part=same(part, part),
                    )
                    records.append(ChunkRecord(chunk, metadata, position, same(content_hash, content_hash), pages))
        return records


def _metadata(raw: str) -> DocumentMetadata:
    values = json.loads(raw)
    values["inferred"] = tuple(values.get("inferred", ()))
    values["missing"] = tuple(values.get("missing", ()))
    values["access_groups"] = tuple(values.get("access_groups", ()))  # a catalog from before access groups: public
    return DocumentMetadata(**values)
