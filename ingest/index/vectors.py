"""The vectors: chunks in Chroma, embedded (PersistentClient) or on a Chroma server (HttpClient), searched by similarity;
their units' (sentences') in SQLite beside the catalog, read by id (`unit_vectors.py`)."""

import functools
import hashlib
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from ingest.config import Settings
from ingest.documents.metadata import PUBLIC, DocumentMetadata
from ingest.index.catalog import Catalog, ChunkRecord
from ingest.index.locking import file_lock
from ingest.index.unit_vectors import UnitVectorStore
from ingest.structure.chunking import Chunk

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The vector store cannot be reached or used."""


# What a Chroma call raises when the store is unreachable or broken (a server down, a full disk, a locked file), as
# opposed to a mistake in the call itself; each becomes a StoreError, which the service answers with 503.
_UNAVAILABLE = (httpx.HTTPError, ConnectionError, ChromaError, OSError, sqlite3.Error)


def _guarded(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _UNAVAILABLE as exc:
            where = self._settings.chroma_url or self._settings.chroma_path
            raise StoreError(f"Chroma på '{where}' svarar inte ({type(exc).__name__}: {exc})") from exc

    return call


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    score: float
    # The version the vector belongs to: a hit counts only if this is the version the catalog has live.
    content_hash: str


@dataclass(frozen=True)
class VersionVectors:
    """A document version's vectors as ingest writes them: one a chunk, and per chunk one a unit."""

    metadata: DocumentMetadata
    content_hash: str
    chunks: list[Chunk]
    chunk_vectors: np.ndarray
    unit_vectors: list[np.ndarray]

    @property
    def records(self) -> int:
        return len(self.chunks) + sum(len(c.units) for c in self.chunks)


@dataclass(frozen=True)
class UnitVectors:
    """Stored embeddings of one chunk's quotable units (sentences, list items, table rows)."""

    spans: tuple[tuple[int, int], ...]
    vectors: np.ndarray


def make_client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreError(f"AUDITQA_CHROMA_URL måste vara en http(s)-adress, fick '{settings.chroma_url}'")
            return chromadb.HttpClient(
                host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80),
                ssl=url.scheme == "https", settings=chroma_settings,
            )
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
        where = settings.chroma_url or settings.chroma_path
        raise StoreError(f"kunde inte öppna Chroma på '{where}': {exc}") from exc


# Records per Chroma read or write: Chroma's SQLite binds a variable per id and per metadata value, and refuses a
# statement with more than 32,766 of them, so no call may ask for everything at once.
PAGE = 1000


def text_key(model_id: str, text: str) -> str:
    """What a vector is a function of: the model and the exact text it embedded (prefix included). Recorded in the
    catalog with each vector (`vector_keys`), so a new version of a document reuses the vectors of every text it
    shares with what is stored."""
    digest = hashlib.sha256()
    for part in (model_id, text):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


# Ids a vector never has (every vector id holds an "@", `vector_id`): deleting them changes nothing but Chroma's log.
_ABSENT_ID = "flush:{}"


def vector_id(chunk_id: str, content_hash: str) -> str:
    """Chroma ids carry the version: an unchanged chunk of a new version must not overwrite the live one."""
    return f"{chunk_id}@{content_hash[:16]}"


def unit_vector_id(chunk_id: str, content_hash: str, index: int) -> str:
    """A unit's vector: row `index` of its chunk's matrix (what the catalog's `vector_keys` name for reuse)."""
    return f"{vector_id(chunk_id, content_hash)}:{index}"


def _unit_place(unit_id: str) -> tuple[str, int]:
    """The chunk vector id and the row of a `unit_vector_id`."""
    chunk, index = unit_id.rsplit(":", 1)
    return chunk, int(index)


def access_where(groups: frozenset[str] | tuple[str, ...]) -> dict:
    """A `where` clause for the vectors a caller of these access groups may see: public ones and those of its groups.
    One clause per group of the caller, whatever the number of documents."""
    clauses: list[dict] = [{"access": {"$contains": group}} for group in (PUBLIC, *sorted(groups))]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def searched_configuration(settings: Settings) -> dict:
    """The chunks collection's HNSW index, which dense retrieval searches: its settings keep recall@10 at 0.99
    against brute force (docs/performance.md, "HNSW")."""
    return {
        "hnsw": {
            "space": "cosine",
            "ef_construction": settings.hnsw_ef_construction,
            "ef_search": settings.hnsw_ef_search,
            "max_neighbors": settings.hnsw_max_neighbors,
        }
    }


class VectorStore:
    """Chunk vectors in a Chroma collection (for retrieval) and unit vectors in SQLite (for choosing the sentences of
    an answer), written, deleted and read together by document version."""

    @_guarded
    def __init__(self, settings: Settings, client: chromadb.ClientAPI | None = None) -> None:
        self._settings = settings
        self._client = client or make_client(settings)
        # embedding_function=None: Chroma's default embedder would download a model.
        self.chunks = self._client.get_or_create_collection(
            f"{settings.collection_prefix}_chunks", embedding_function=None, configuration=searched_configuration(settings)
        )
        # On the disk the catalog is on, also with a Chroma server: the workers that share the catalog share it.
        self.units = UnitVectorStore(settings.units_path)
        # Whether this process wrote to the chunks collection since its index was last saved (`save_indexes`).
        self._unsaved = False
        self._move_units_out_of_chroma()

    def _move_units_out_of_chroma(self) -> None:
        """A home made before kept its unit vectors in a Chroma collection (`<prefix>_units`): those of the live
        versions are copied into SQLite, then the collection is dropped, once, by whichever process opens the home
        first (the others wait on the lock and find it gone). A crash before the drop copies again at the next open;
        the other versions' units go with the collection (a reuse lookup that named one embeds its text again)."""
        name = f"{self._settings.collection_prefix}_units"
        if not self._has_collection(name):
            return
        with file_lock(self._settings.units_path, exclusive=True):
            if not self._has_collection(name):
                return
            legacy = self._client.get_collection(name, embedding_function=None)
            chunks = Catalog(self._settings.catalog_path).unit_counts()
            log.info("moving the unit vectors of %d chunks from Chroma's %s collection to %s", len(chunks), name, self.units.path)
            copied = 0
            for offset in range(0, len(chunks), PAGE // 10):
                page = chunks[offset : offset + PAGE // 10]
                ids = [unit_vector_id(chunk_id, content_hash, i) for _, content_hash, chunk_id, units in page for i in range(units)]
                found: dict[str, np.ndarray] = {}
                for start in range(0, len(ids), PAGE):
                    got = legacy.get(ids=ids[start : start + PAGE], include=["embeddings"])
                    found.update(zip(got["ids"], got["embeddings"]))
                rows = []
                for document_id, content_hash, chunk_id, units in page:
                    keys = [unit_vector_id(chunk_id, content_hash, i) for i in range(units)]
                    if all(k in found for k in keys):  # a chunk whose units were never all written has none, as before
                        rows.append((vector_id(chunk_id, content_hash), document_id, content_hash, np.asarray([found[k] for k in keys])))
                self.units.write(rows)
                copied += len(rows)
            folders = self._index_folders(str(legacy.id))
            self._client.delete_collection(name)
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
            log.info("moved the unit vectors of %d chunks; the %s collection is dropped", copied, name)

    def _index_folders(self, collection_id: str) -> list[Path]:
        """The folders in which a local Chroma keeps a collection's HNSW index (one per vector segment, named by its
        id), which Chroma 1.5.9 leaves on disk when the collection is deleted (chroma-core/chroma#5259): at 10,000
        reports 1.3 GB for the units collection. Read from Chroma's own table; none for a server, or if the table is
        not as expected (then the folder stays, as Chroma leaves it)."""
        if self._settings.chroma_url:
            return []
        path = self._settings.chroma_path
        try:
            with closing(sqlite3.connect(f"file:{path / 'chroma.sqlite3'}?mode=ro", uri=True)) as db:
                ids = [row[0] for row in db.execute("SELECT id FROM segments WHERE collection=? AND scope='VECTOR'", (collection_id,))]
        except sqlite3.Error:
            log.warning("could not read the index folders of Chroma collection %s; they stay on disk", collection_id, exc_info=True)
            return []
        return [path / i for i in ids if i and (path / i).is_dir()]

    def _has_collection(self, name: str) -> bool:
        try:
            self._client.get_collection(name, embedding_function=None)
        except NotFoundError:
            return False
        return True

    def add_version(
        self, metadata: DocumentMetadata, content_hash: str, chunks: list[Chunk], chunk_vectors: np.ndarray, unit_vectors: list[np.ndarray]
    ) -> None:
        """Write one document version's vectors (see `add_versions`)."""
        self.add_versions([VersionVectors(metadata, content_hash, chunks, chunk_vectors, unit_vectors)])

    @_guarded
    def add_versions(self, versions: list["VersionVectors"]) -> None:
        """Write these document versions' vectors, invisible to queries until the catalog activates their hashes.

        The chunks' are written together, a page of records a Chroma call: a local Chroma's cost is mostly per call
        (each one is logged, applied to the HNSW index and the metadata tables in turn), so a call per document made
        writing the largest part of an ingest (docs/scale.md). A record carries only what a query filters or checks
        on (a chunk's document, version, municipality, year, access groups and the chunk id it stands for): texts,
        spans and text keys are the catalog's. The units' follow, one row per chunk, in one SQLite transaction."""
        chunk_ids, chunk_rows, chunk_metas, unit_rows = [], [], [], []
        for version in versions:
            metadata, content_hash = version.metadata, version.content_hash
            base = {
                "document_id": metadata.document_id,
                "content_hash": content_hash,
                "municipality": metadata.municipality or "",
                "year": metadata.year or 0,
                # Who may see it: its access groups, or PUBLIC; a `where` selects what a caller may see (access_where).
                "access": list(metadata.access_groups) or [PUBLIC],
            }
            chunk_ids += [vector_id(c.chunk_id, content_hash) for c in version.chunks]
            chunk_rows += list(np.asarray(version.chunk_vectors, dtype=np.float32))
            chunk_metas += [{**base, "chunk_id": c.chunk_id} for c in version.chunks]
            unit_rows += [
                (vector_id(chunk.chunk_id, content_hash), metadata.document_id, content_hash, matrix)
                for chunk, matrix in zip(version.chunks, version.unit_vectors, strict=True) if chunk.units
            ]
        self._unsaved = True
        for offset in range(0, len(chunk_ids), PAGE):
            self.chunks.upsert(
                ids=chunk_ids[offset : offset + PAGE], embeddings=np.asarray(chunk_rows[offset : offset + PAGE]),
                metadatas=chunk_metas[offset : offset + PAGE],
            )
        self.units.write(unit_rows)

    @_guarded
    def delete_other_versions(self, document_id: str, keep_hash: str | None) -> None:
        """Remove a document's vectors except the live version (all of them when keep_hash is None)."""
        where: dict = {"document_id": document_id}
        if keep_hash is not None:
            where = {"$and": [where, {"content_hash": {"$ne": keep_hash}}]}
        self._unsaved = True
        self.chunks.delete(where=where)
        self.units.delete(document_id, keep_hash=keep_hash)

    @_guarded
    def delete_version(self, document_id: str, content_hash: str) -> None:
        """Remove the vectors of one version of a document (one that is not live)."""
        where = {"$and": [{"document_id": document_id}, {"content_hash": content_hash}]}
        self._unsaved = True
        self.chunks.delete(where=where)
        self.units.delete(document_id, content_hash=content_hash)

    @_guarded
    def document_ids(self) -> set[str]:
        """Documents with chunk vectors (a page at a time)."""
        return {m["document_id"] for _, m, _ in _pages(self.chunks, include=["metadatas"])}

    @_guarded
    def versions(self) -> set[tuple[str, str]]:
        """Every (document_id, content_hash) with chunk or unit vectors, Chroma's read a page at a time (a full sweep:
        only for a catalog that has not recorded its replaced versions)."""
        found = self.units.versions()
        for _, metadata, _ in _pages(self.chunks, include=["metadatas"]):
            found.add((metadata["document_id"], metadata["content_hash"]))
        return found

    @_guarded
    def vectors_by_id(self, chunk_ids: list[str], unit_ids: list[str] = ()) -> dict[str, np.ndarray]:
        """The stored vectors of these ids that still exist (chunk ids in Chroma, unit ids as `unit_vector_id` names
        them), by id: reads by primary key, a page at a time."""
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(chunk_ids))
        for offset in range(0, len(wanted), PAGE):
            got = self.chunks.get(ids=wanted[offset : offset + PAGE], include=["embeddings"])
            found.update((i, np.asarray(v, dtype=np.float32)) for i, v in zip(got["ids"], got["embeddings"]))
        places = {unit_id: _unit_place(unit_id) for unit_id in unit_ids}
        matrices = self.units.read(chunk for chunk, _ in places.values())
        found.update((unit_id, matrices[chunk][row]) for unit_id, (chunk, row) in places.items() if chunk in matrices and row < len(matrices[chunk]))
        return found

    @_guarded
    def load(self) -> None:
        """Have Chroma load the chunks collection's index now rather than on its first use. A local store then reads
        the index and replays the writes its log holds beyond the index last saved (up to the index's
        sync_threshold, 1,000 by default: seconds at 1,000 reports, paid by whichever request came first); ingest
        saves the index when it is done (`save_indexes`), so after it there is nothing to replay."""
        self.chunks.count()

    @_guarded
    def save_indexes(self) -> bool:
        """Have a local Chroma save the chunks collection's HNSW index now, if this process wrote to it, so that the
        next load replays nothing (docs/scale.md, "Chroma's indexes saved when an ingest is done").

        A local Chroma saves an index only once `sync_threshold` records (1,000 by default) have reached it since it
        was loaded or last saved, and keeps the threshold it loaded with: a `modify` of the configuration reaches only
        the next process. Every record of its log counts, a delete of an id that does not exist too, and the count is
        checked once a write is applied, so deleting as many absent ids as the threshold in one call saves the index
        with everything before it, and leaves nothing after it to replay. The configuration is never changed.

        A Chroma server loads its indexes at its own start, not at auditqa's, and may not be a local HNSW at all: left
        to its own cadence. Whether an index was saved."""
        if self._settings.chroma_url or not self._unsaved:
            return False
        # Chroma states every HNSW setting, defaults included; a collection without one has no HNSW index.
        threshold = (self.chunks.configuration_json.get("hnsw") or {}).get("sync_threshold")
        if threshold:
            self.chunks.delete(ids=[_ABSENT_ID.format(i) for i in range(threshold)])
        self._unsaved = False
        return bool(threshold)

    @_guarded
    def count(self) -> int:
        return self.chunks.count()

    @_guarded
    def has_version(self, document_id: str, content_hash: str) -> bool:
        found = self.chunks.get(
            where={"$and": [{"document_id": document_id}, {"content_hash": content_hash}]}, limit=1, include=[]
        )
        return bool(found["ids"])

    @_guarded
    def search(self, vector: np.ndarray, k: int, where: dict | None) -> list[DenseHit]:
        result = self.chunks.query(
            query_embeddings=[vector.astype(np.float32)], n_results=k, where=where, include=["distances", "metadatas"]
        )
        # A local Chroma 1.5.9 queried while another thread writes to the collection may return a hit without its
        # metadata, or none at all (seen once in tests/integration/ingest/test_crash_safety.py under load; cf.
        # chroma-core/chroma#4897). Such a hit cannot be checked for being live, so it is no hit.
        metadatas = (result.get("metadatas") or [[]])[0] or []
        distances = (result.get("distances") or [[]])[0] or []
        return [DenseHit(m["chunk_id"], 1.0 - d, m["content_hash"]) for m, d in zip(metadatas, distances) if m]

    @_guarded
    def unit_vectors(self, records: list[ChunkRecord]) -> dict[str, UnitVectors]:
        """The stored unit embeddings of the given chunks in their versions, keyed by chunk id (one read); a chunk
        without units (the cover) has none and is left out, as is one whose units were not all stored."""
        records = [r for r in records if r.chunk.units]
        if not records:
            return {}
        matrices = self.units.read(vector_id(r.chunk.chunk_id, r.content_hash) for r in records)
        result = {}
        for record in records:
            matrix = matrices.get(vector_id(record.chunk.chunk_id, record.content_hash))
            if matrix is not None and len(matrix) == len(record.chunk.units):
                result[record.chunk.chunk_id] = UnitVectors(record.chunk.units, matrix)
        return result


def _pages(collection, where: dict | None = None, include: list[str] = ()) -> Iterator[tuple[str, dict, np.ndarray | None]]:
    """(id, metadata, embedding) of the records matching `where`, PAGE at a time."""
    offset = 0
    while True:
        found = collection.get(where=where, limit=PAGE, offset=offset, include=list(include))
        ids = found["ids"]
        metadatas = found.get("metadatas") or [None] * len(ids)
        embeddings = found.get("embeddings")
        if embeddings is None:
            embeddings = [None] * len(ids)
        yield from zip(ids, metadatas, embeddings)
        if len(ids) < PAGE:
            return
        offset += PAGE
