"""Chroma: chunk and sentence vectors, embedded (PersistentClient) or on a Chroma server (HttpClient)."""

import functools
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from ingest.config import Settings
from ingest.documents.metadata import PUBLIC, DocumentMetadata
from ingest.index.catalog import ChunkRecord
from ingest.structure.chunking import Chunk


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
    return f"{vector_id(chunk_id, content_hash)}:{index}"


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


# The units collection is read by id only (the sentences of the chunks an answer quotes), never searched by
# similarity, yet Chroma builds an HNSW index over every record, and units are four in five of the records ingest
# writes: a graph this sparse costs a fraction of the searched one's to insert into (docs/scale.md, 2026-12-02).
UNITS_CONFIGURATION = {"hnsw": {"space": "cosine", "ef_construction": 16, "max_neighbors": 4}}


class VectorStore:
    """Two collections: chunks (for retrieval) and units (for choosing the sentences of an answer)."""

    @_guarded
    def __init__(self, settings: Settings, client: chromadb.ClientAPI | None = None) -> None:
        self._settings = settings
        self._client = client or make_client(settings)
        prefix = settings.collection_prefix
        # embedding_function=None: Chroma's default embedder would download a model.
        self.chunks = self._client.get_or_create_collection(
            f"{prefix}_chunks", embedding_function=None, configuration=searched_configuration(settings)
        )
        # A collection made earlier keeps the configuration it was made with (Chroma ignores the one given here):
        # an older home's units collection has the searched one, which reads by id the same, only writes slower.
        self.units = self._client.get_or_create_collection(
            f"{prefix}_units", embedding_function=None, configuration=UNITS_CONFIGURATION
        )
        # Whether this process wrote to the collections since their indexes were last saved (`save_indexes`).
        self._unsaved = False

    def add_version(
        self, metadata: DocumentMetadata, content_hash: str, chunks: list[Chunk], chunk_vectors: np.ndarray, unit_vectors: list[np.ndarray]
    ) -> None:
        """Write one document version's vectors (see `add_versions`)."""
        self.add_versions([VersionVectors(metadata, content_hash, chunks, chunk_vectors, unit_vectors)])

    @_guarded
    def add_versions(self, versions: list["VersionVectors"]) -> None:
        """Write these document versions' vectors, invisible to queries until the catalog activates their hashes.

        Written together, a page of records a call: a local Chroma's cost is mostly per call (each one is logged,
        applied to the HNSW index and the metadata tables in turn), so a call per document made writing the largest
        part of an ingest (docs/scale.md). A record carries only what a query filters or checks on (a chunk's
        document, version, municipality, year, access groups and the chunk id it stands for) or what a delete
        selects by (a unit's document and version, with its chunk's id): texts, spans and text keys are the catalog's."""
        chunk_ids, chunk_rows, chunk_metas, unit_ids, unit_rows, unit_metas = [], [], [], [], [], []
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
            for chunk, unit_matrix in zip(version.chunks, version.unit_vectors, strict=True):
                unit_ids += [unit_vector_id(chunk.chunk_id, content_hash, i) for i in range(len(chunk.units))]
                unit_rows += list(np.asarray(unit_matrix, dtype=np.float32))
                unit_metas += [{"document_id": metadata.document_id, "content_hash": content_hash, "chunk_id": chunk.chunk_id}] * len(chunk.units)
        self._unsaved = True
        for collection, ids, rows, metas in ((self.chunks, chunk_ids, chunk_rows, chunk_metas), (self.units, unit_ids, unit_rows, unit_metas)):
            for offset in range(0, len(ids), PAGE):
                collection.upsert(
                    ids=ids[offset : offset + PAGE], embeddings=np.asarray(rows[offset : offset + PAGE]), metadatas=metas[offset : offset + PAGE]
                )

    @_guarded
    def delete_other_versions(self, document_id: str, keep_hash: str | None) -> None:
        """Remove a document's vectors except the live version (all of them when keep_hash is None)."""
        where: dict = {"document_id": document_id}
        if keep_hash is not None:
            where = {"$and": [where, {"content_hash": {"$ne": keep_hash}}]}
        self._unsaved = True
        self.chunks.delete(where=where)
        self.units.delete(where=where)

    @_guarded
    def delete_version(self, document_id: str, content_hash: str) -> None:
        """Remove the vectors of one version of a document (one that is not live)."""
        where = {"$and": [{"document_id": document_id}, {"content_hash": content_hash}]}
        self._unsaved = True
        self.chunks.delete(where=where)
        self.units.delete(where=where)

    @_guarded
    def document_ids(self) -> set[str]:
        """Documents with chunk vectors (a page at a time)."""
        return {m["document_id"] for _, m, _ in _pages(self.chunks, include=["metadatas"])}

    @_guarded
    def versions(self) -> set[tuple[str, str]]:
        """Every (document_id, content_hash) with vectors in either collection, read a page at a time (a full sweep:
        only for a catalog that has not recorded its replaced versions)."""
        found = set()
        for collection in (self.chunks, self.units):
            for _, metadata, _ in _pages(collection, include=["metadatas"]):
                found.add((metadata["document_id"], metadata["content_hash"]))
        return found

    @_guarded
    def vectors_by_id(self, chunk_ids: list[str], unit_ids: list[str] = ()) -> dict[str, np.ndarray]:
        """The stored vectors of these ids that still exist (chunk ids among the chunks, unit ids among the units), by
        id: reads by primary key, a page at a time."""
        found: dict[str, np.ndarray] = {}
        for collection, ids in ((self.chunks, chunk_ids), (self.units, unit_ids)):
            wanted = list(dict.fromkeys(ids))
            for offset in range(0, len(wanted), PAGE):
                got = collection.get(ids=wanted[offset : offset + PAGE], include=["embeddings"])
                found.update((i, np.asarray(v, dtype=np.float32)) for i, v in zip(got["ids"], got["embeddings"]))
        return found

    @_guarded
    def load(self) -> None:
        """Have Chroma load both collections' indexes now rather than on their first use. A local store then reads
        each index and replays the writes its log holds beyond the index last saved (up to the index's
        sync_threshold, 1,000 by default: seconds at 1,000 reports, paid by whichever request came first); ingest
        saves the indexes when it is done (`save_indexes`), so after it there is nothing to replay."""
        self.chunks.count()
        self.units.count()

    @_guarded
    def save_indexes(self) -> None:
        """Have a local Chroma save both collections' HNSW indexes now, if this process wrote to them, so that the next
        load replays nothing (docs/scale.md, "Chroma's indexes saved when an ingest is done").

        A local Chroma saves an index only once `sync_threshold` records (1,000 by default) have reached it since it
        was loaded or last saved, and keeps the threshold it loaded with: a `modify` of the configuration reaches only
        the next process. Every record of its log counts, a delete of an id that does not exist too, and the count is
        checked once a write is applied, so deleting as many absent ids as the threshold in one call saves the index
        with everything before it, and leaves nothing after it to replay. The configuration is never changed.

        A Chroma server loads its indexes at its own start, not at auditqa's, and may not be a local HNSW at all: left
        to its own cadence."""
        if self._settings.chroma_url or not self._unsaved:
            return
        for collection in (self.chunks, self.units):
            # Chroma states every HNSW setting, defaults included; a collection without one has no HNSW index.
            threshold = (collection.configuration_json.get("hnsw") or {}).get("sync_threshold")
            if threshold:
                collection.delete(ids=[_ABSENT_ID.format(i) for i in range(threshold)])
        self._unsaved = False

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
        return [
            DenseHit(m["chunk_id"], 1.0 - d, m["content_hash"]) for m, d in zip(result["metadatas"][0], result["distances"][0])
        ]

    @_guarded
    def unit_vectors(self, records: list[ChunkRecord]) -> dict[str, UnitVectors]:
        """The stored unit embeddings of the given chunks, keyed by chunk id (one round trip); a chunk without units
        (the cover) has none and is left out."""
        records = [r for r in records if r.chunk.units]
        if not records:
            return {}
        ids = [unit_vector_id(r.chunk.chunk_id, r.content_hash, i) for r in records for i in range(len(r.chunk.units))]
        by_id = {}
        for offset in range(0, len(ids), PAGE):
            found = self.units.get(ids=ids[offset : offset + PAGE], include=["embeddings"])
            by_id.update(zip(found["ids"], found["embeddings"]))
        result = {}
        for record in records:
            keys = [unit_vector_id(record.chunk.chunk_id, record.content_hash, i) for i in range(len(record.chunk.units))]
            if all(k in by_id for k in keys):
                result[record.chunk.chunk_id] = UnitVectors(
                    record.chunk.units, np.asarray([by_id[k] for k in keys], dtype=np.float32)
                )
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
