"""Unit vectors (one a quotable sentence, list item or table row of a chunk) in a SQLite file beside the catalog.

They are read by id only (the units of the chunks an answer quotes, the vectors ingest reuses), never searched by
similarity, so they are rows rather than records of a Chroma collection: Chroma keeps a collection's whole HNSW index
in memory and rewrites it when it saves, which at 10,000 reports was 780,000 unit vectors, 1.2 GB, in every process
that opened the store (docs/scale.md, "Unit vectors out of Chroma"). Here a process holds only what it reads.

One row per chunk version: its units' vectors as one float16 matrix, keyed by the chunk's vector id (chunk id and
version, as in Chroma). Rows are written before their version goes live and removed with it, like the chunk vectors:
what a reader finds is decided by the catalog's live content hash, never by what this file holds.
"""

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ingest.index.database import check_intact, connect, ensure_schema

_SCHEMA = """
CREATE TABLE IF NOT EXISTS unit_vectors (
    vector_id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    units INTEGER NOT NULL,
    vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS unit_vectors_by_version ON unit_vectors (document_id, content_hash);
"""
# float16 halves the file and the reads; an answer's sentence choice is the same as with float32 (docs/scale.md).
STORED = np.dtype("<f2")
# Keys per read: SQLite binds one variable per key and older builds refuse more than 999.
_KEYS_PER_READ = 500


class UnitVectorStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        check_intact(path, thorough=False)
        ensure_schema(path, _SCHEMA)

    def write(self, rows: Iterable[tuple[str, str, str, np.ndarray]]) -> None:
        """(chunk vector id, document id, content hash, units × dimension matrix) rows, in one transaction; a row of
        the same id is replaced (a run after a crash, `--rebuild`, writes the same ids again)."""
        with connect(self.path) as db:
            db.executemany(
                "INSERT OR REPLACE INTO unit_vectors (vector_id, document_id, content_hash, units, vectors) VALUES (?, ?, ?, ?, ?)",
                ((vector_id, document_id, content_hash, len(matrix), np.ascontiguousarray(matrix, dtype=STORED).tobytes())
                 for vector_id, document_id, content_hash, matrix in rows),
            )

    def read(self, vector_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored matrix (float32, a row per unit) of each of these chunk vector ids that has one."""
        wanted = list(dict.fromkeys(vector_ids))
        found: dict[str, np.ndarray] = {}
        with connect(self.path) as db:
            for offset in range(0, len(wanted), _KEYS_PER_READ):
                batch = wanted[offset : offset + _KEYS_PER_READ]
                for vector_id, units, blob in db.execute(
                    f"SELECT vector_id, units, vectors FROM unit_vectors WHERE vector_id IN ({','.join('?' * len(batch))})", batch
                ):
                    found[vector_id] = np.frombuffer(blob, dtype=STORED).reshape(units, -1).astype(np.float32)
        return found

    def delete(self, document_id: str, content_hash: str | None = None, keep_hash: str | None = None) -> None:
        """Remove a document's rows: of one version, or of every version but `keep_hash` (all when both are None)."""
        query, values = "DELETE FROM unit_vectors WHERE document_id=?", [document_id]
        if content_hash is not None:
            query, values = query + " AND content_hash=?", [*values, content_hash]
        elif keep_hash is not None:
            query, values = query + " AND content_hash<>?", [*values, keep_hash]
        with connect(self.path) as db:
            db.execute(query, values)

    def versions(self) -> set[tuple[str, str]]:
        """Every (document id, content hash) with rows (an index-only read)."""
        with connect(self.path) as db:
            return set(db.execute("SELECT DISTINCT document_id, content_hash FROM unit_vectors"))
