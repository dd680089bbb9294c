"""Hybrid retrieval: dense (Chroma) and Swedish BM25 scores fused (standardised, convex combination), with filters."""

import copy
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Literal

import numpy as np

from ingest.config import Settings
from ingest.documents.metadata import DocumentMetadata
from ingest.embedding import Embedder
from ingest.index.catalog import Catalog, ChunkRecord, DocumentRecord
from ingest.index.lexical import LexicalIndex, ensure_fresh
from ingest.index.vectors import DenseHit, VectorStore, access_where, vector_id
from ingest.language.terms import TermExpander

Mode = Literal["lexical", "dense", "hybrid"]

_TITLE_WORD = re.compile(r"[^\W\d_]+")
_CHAR_START = attrgetter("chunk.char_start")
# A filter admitting at most this many chunks, and at most this share of the live ones, is searched exactly over their
# vectors read by id (see _dense): reading a vector costs about 0.15 ms, Chroma's filtered search a pass over every
# record, so the exact search pays for a few hundred chunks at 1,000 reports and a couple of thousand at 10,000.
EXACT_UP_TO = 2_000
EXACT_SHARE = 0.05
# The share of the chunks a caller may see below which dense search asks Chroma for those only (see _dense).
_ACCESS_CLAUSE_BELOW = 0.25


class IndexNotReadyError(Exception):
    """No index has been built yet."""


class UnknownFilterError(Exception):
    """A filter names a municipality, year or document that the index does not hold."""

    def __init__(self, field_name: str, bad: list, valid: list) -> None:
        self.field_name, self.bad, self.valid = field_name, bad, valid
        super().__init__(f"okänt värde för {field_name}: {bad}; giltiga värden: {valid}")


@dataclass(frozen=True)
class Access:
    """Which documents a caller may see: every one (`everything`: admin keys, the local user without keys), or the
    public ones (no access groups) and those sharing a group with `groups`. Not a filter on results: a retriever
    or QA service made `visible_to` an Access holds only what it admits, so nothing else can be ranked, listed,
    counted, quoted or named (see HybridRetriever.visible_to)."""

    groups: frozenset[str] = frozenset()
    everything: bool = False

    def admits_groups(self, access_groups: Iterable[str]) -> bool:
        access_groups = tuple(access_groups)
        return self.everything or not access_groups or not self.groups.isdisjoint(access_groups)

    def admits(self, metadata) -> bool:
        """Whether a document of this metadata (DocumentMetadata) is visible."""
        return self.admits_groups(metadata.access_groups)


EVERYTHING = Access(everything=True)


@dataclass(frozen=True)
class Filters:
    municipality: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    document_id: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.municipality or self.year or self.document_id)

    def admits(self, record: ChunkRecord) -> bool:
        meta = record.metadata
        return (
            (not self.municipality or meta.municipality in self.municipality)
            and (not self.year or meta.year in self.year)
            and (not self.document_id or meta.document_id in self.document_id)
        )


@dataclass(frozen=True)
class ScoredChunk:
    record: ChunkRecord
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


@dataclass
class CorpusView:
    """What is live right now: chunk records, BM25 over them, and the values filters may take.

    A view is never changed once built (a reload builds a new one), so the corpus-level lists are computed once, on
    first use, instead of from every chunk on every question."""

    records: dict[str, ChunkRecord] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    lexical: LexicalIndex | None = None
    live_hashes: dict[str, str] = field(default_factory=dict)
    document_count: int = 0
    # The catalog generation read before the records (-1: never loaded); equal to the catalog's, nothing changed since.
    generation: int = -1
    # Each live document's access groups (() = public).
    access_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Each live document's metadata, as the catalog's documents were read with the records.
    document_metadata: dict[str, DocumentMetadata] = field(default_factory=dict)

    def visible_to(self, access: Access) -> "CorpusView":
        """The part of this view the caller may see; the BM25 index is shared, its candidates are taken from `records`."""
        if access.everything:
            return self
        visible = {d for d, groups in self.access_groups.items() if access.admits_groups(groups)}
        records = {cid: r for cid, r in self.records.items() if r.chunk.document_id in visible}
        return CorpusView(
            records=records,
            order=[cid for cid in self.order if cid in records],
            lexical=self.lexical,
            live_hashes={d: h for d, h in self.live_hashes.items() if d in visible},
            document_count=len(visible),
            access_groups={d: g for d, g in self.access_groups.items() if d in visible},
            generation=self.generation,
            document_metadata={d: m for d, m in self.document_metadata.items() if d in visible},
        )

    @cached_property
    def municipalities(self) -> tuple[str, ...]:
        return tuple(sorted({r.metadata.municipality for r in self.records.values() if r.metadata.municipality}))

    @cached_property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({r.metadata.year for r in self.records.values() if r.metadata.year}))

    @cached_property
    def document_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.live_hashes))

    @cached_property
    def by_document(self) -> dict[str, list[ChunkRecord]]:
        """Each live document's chunk records, in the view's order."""
        documents: dict[str, list[ChunkRecord]] = {}
        for record in self.records.values():
            documents.setdefault(record.chunk.document_id, []).append(record)
        return documents

    @cached_property
    def in_text_order(self) -> dict[str, list[ChunkRecord]]:
        """Each live document's chunk records in the order of their text (where the answerers look up the chunk that
        holds a span they cite); the documents in the order of their first chunk's offset."""
        # As one stable sort of every record by offset would group them, each document's records sorted on their own
        # (their lists are nearly in order already): a sort of 170,000 records was most of a second at 10,000 reports.
        first: dict[str, tuple[int, int]] = {}  # each document's smallest offset, and where its first record with it is
        for place, record in enumerate(self.records.values()):
            chunk = record.chunk
            held = first.get(chunk.document_id)
            if held is None or chunk.char_start < held[0]:
                first[chunk.document_id] = (chunk.char_start, place)
        by_document = self.by_document
        return {d: sorted(by_document[d], key=_CHAR_START) for d in sorted(first, key=first.__getitem__)}

    @cached_property
    def listing_order(self) -> tuple[str, ...]:
        """The live documents as an answer over several reports lists them: by municipality (else id), then year."""
        first = {d: records[0].metadata for d, records in self.in_text_order.items()}
        return tuple(sorted(first, key=lambda d: (first[d].municipality or d, first[d].year or 0)))

    def listed(self, filters: "Filters") -> Sequence[str]:
        """The live documents `filters` admit, in `listing_order`: found in the view's indexes of municipalities,
        years and ids, not by checking every document on each question."""
        return self.listing_order if not filters else self.in_listing_order(self._admitted(filters))

    def in_listing_order(self, documents: Iterable[str]) -> list[str]:
        """These live documents in `listing_order` (sorted by their place in it, not found by a pass over it)."""
        rank = self._ranks[1]
        return sorted(documents, key=rank.__getitem__)

    def documents_in(self, filters: "Filters") -> list[str]:
        """The live documents `filters` admit, in the view's order (that of `by_document`)."""
        if not filters:
            return list(self.by_document)
        rank = self._ranks[0]
        return sorted(self._admitted(filters), key=rank.__getitem__)

    @cached_property
    def _ranks(self) -> tuple[dict[str, int], dict[str, int]]:
        """Each document's place in `by_document` and in `listing_order`."""
        return {d: i for i, d in enumerate(self.by_document)}, {d: i for i, d in enumerate(self.listing_order)}

    @cached_property
    def _by_value(self) -> tuple[dict[str, set[str]], dict[int, set[str]]]:
        """The live documents of each municipality and of each year."""
        municipalities: dict[str, set[str]] = {}
        years: dict[int, set[str]] = {}
        for document_id, records in self.by_document.items():
            meta = records[0].metadata
            municipalities.setdefault(meta.municipality, set()).add(document_id)
            years.setdefault(meta.year, set()).add(document_id)
        return municipalities, years

    @cached_property
    def reports_per_municipality(self) -> dict[str, int]:
        """How many live documents each municipality has, by name."""
        municipalities = self._by_value[0]
        return {m: len(municipalities[m]) for m in sorted(m for m in municipalities if m)}

    def _admitted(self, filters: "Filters") -> set[str]:
        """What `Filters.admits` admits, by document (its chunks share its metadata)."""
        municipalities, years = self._by_value
        admitted: set[str] | None = None
        for values, index in ((filters.municipality, municipalities), (filters.year, years)):
            if values:
                found = set().union(*(index.get(v, ()) for v in values))
                admitted = found if admitted is None else admitted & found
        if filters.document_id:
            named = {d for d in filters.document_id if d in self.by_document}
            admitted = named if admitted is None else admitted & named
        return admitted or set()

    @cached_property
    def title_words(self) -> dict[str, list[str]]:
        """Each word of the live documents' titles (case-folded, letters only) and the documents whose title has it."""
        words: dict[str, list[str]] = {}
        for document_id, records in self.by_document.items():
            title = (records[0].metadata.title or "").casefold()
            for word in dict.fromkeys(_TITLE_WORD.findall(title)):
                words.setdefault(word, []).append(document_id)
        return words

    @cached_property
    def years_by_municipality(self) -> dict[str, frozenset[int]]:
        """The report years of each municipality's live chunks."""
        years: dict[str, set[int]] = {}
        for record in self.records.values():
            meta = record.metadata
            if meta.municipality:
                years.setdefault(meta.municipality, set()).add(meta.year)
        return {m: frozenset(y) for m, y in years.items()}

    @cached_property
    def firms_of_documents(self) -> dict[str, str]:
        """Each live document's audit firm, where its metadata names one."""
        return {r.metadata.document_id: r.metadata.firm for r in self.records.values() if r.metadata.firm}

    @cached_property
    def documents_by_firm(self) -> dict[str, list[str]]:
        """The live documents of each audit firm their metadata names, in the view's order: a question's firm is
        compared with the few firms' names, not with every report's."""
        firms: dict[str, list[str]] = {}
        for document_id, firm in self.firms_of_documents.items():
            firms.setdefault(firm, []).append(document_id)
        return firms

    @cached_property
    def documents_without_firm(self) -> frozenset[str]:
        """The live documents whose metadata names no firm."""
        return frozenset(self.document_ids) - self.firms_of_documents.keys()

    @cached_property
    def titles_by_municipality(self) -> dict[str, dict[str, str]]:
        """Each municipality's live documents and their titles."""
        titles: dict[str, dict[str, str]] = {}
        for record in self.records.values():
            meta = record.metadata
            if meta.municipality:
                titles.setdefault(meta.municipality, {})[meta.document_id] = meta.title or ""
        return titles


class HybridRetriever:
    def __init__(self, settings: Settings, embedder: Embedder, store: VectorStore | None = None, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.catalog = catalog
        self.view = CorpusView()
        self.terms: TermExpander | None = None
        self.access = EVERYTHING
        self._whole: CorpusView | None = None  # a retriever made visible_to an Access: the view it was cut from

    def warm_up(self) -> None:
        self.embedder.warm_up()
        self.terms = TermExpander.bundled()
        self.store = self.store or VectorStore(self.settings)
        self.catalog = self.catalog or Catalog(self.settings.catalog_path)
        self.reload()

    def reload(self, if_changed: bool = False) -> bool:
        """Take in what ingest made live since start-up; BM25 is rebuilt only if it is stale. With `if_changed`, a view
        already at the catalog's generation is kept (an upload reloads once its version is live; the reload at the end
        of its job then costs one read). Whether a new view was built."""
        if self._whole is not None:
            raise RuntimeError("a retriever made visible_to a caller is not reloaded; reload the one it came from")
        generation = self.catalog.generation
        if if_changed and self.view.generation == generation:
            return False
        # What is derived from the whole lexical index is saved at start-up, for the next start; a reload after an
        # upload or a delete does not wait for the writing (120 MB at 10,000 reports), it is saved at the next start.
        lexical = ensure_fresh(self.catalog, self.settings.lexical_path, keep=not self.view.records)
        if self.view.records:
            documents = self.catalog.documents()
            records = self._records_since(self.view, documents)
        else:
            records = self.catalog.chunks()
            documents = self.catalog.documents()
        # Dense search is restricted to the versions of `records`: documents() may show a newer version than the
        # chunks were read at.
        live_hashes = {d.document_id: d.content_hash for d in documents} | {r.chunk.document_id: r.content_hash for r in records}
        access_groups = {d.document_id: d.metadata.access_groups for d in documents} | {
            r.chunk.document_id: r.metadata.access_groups for r in records
        }
        self.view = CorpusView(
            records={r.chunk.chunk_id: r for r in records},
            order=[r.chunk.chunk_id for r in records],
            lexical=lexical,
            live_hashes=live_hashes,
            document_count=len(documents),
            access_groups=access_groups,
            generation=generation,
            document_metadata={d.document_id: d.metadata for d in documents},
        )
        return True

    def _records_since(self, before: CorpusView, documents: list[DocumentRecord]) -> list[ChunkRecord]:
        """Every live chunk record, in the catalog's order, reading only the documents whose live version is not the one
        `before` holds: a reload after an upload or a delete reads that document's chunks, not every one's again (a
        version's chunks never change), and the records of the others are those of the view before."""
        held = {d: records[0].content_hash for d, records in before.by_document.items()}
        changed = [d.document_id for d in documents if held.get(d.document_id) != d.content_hash]
        fresh: dict[str, list[ChunkRecord]] = {}
        for record in self.catalog.chunks(changed) if changed else ():
            fresh.setdefault(record.chunk.document_id, []).append(record)
        live = sorted({d.document_id for d in documents} | set(fresh))
        return [r for d in live for r in fresh.get(d, before.by_document.get(d, []) if d not in changed else [])]

    def visible_to(self, access: Access) -> "HybridRetriever":
        """This retriever as a caller with `access` may use it: its view holds only the documents the caller may
        see (so filter validation, lexical candidates, evidence and records_in know no others, and a dense hit of any
        other is dropped); dense search asks Chroma for its access groups only where it sees a small share (_dense)."""
        if access == self.access:
            return self
        if self._whole is not None:
            raise RuntimeError("a retriever made visible_to one caller is not made visible to another")
        scoped = copy.copy(self)
        scoped.access = access
        scoped._whole = self.view
        scoped.view = self.view.visible_to(access)
        return scoped

    @property
    def ready(self) -> bool:
        """An index is built (for a restricted caller too, who may see none of it)."""
        return bool((self._whole or self.view).records)

    def validate(self, filters: Filters) -> None:
        for name, values, valid in (
            ("municipality", filters.municipality, self.view.municipalities),
            ("year", filters.year, self.view.years),
            ("document_id", filters.document_id, self.view.document_ids),
        ):
            bad = [v for v in values if v not in valid]
            if bad:
                raise UnknownFilterError(name, bad, list(valid))

    def run(
        self, query: str, top_k: int = 10, filters: Filters = Filters(), mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None, evidence: Sequence[str] = (),
    ) -> list[ScoredChunk]:
        """Hybrid ranking fuses dense and lexical ranks; `evidence` (chunk ids a structured source names as
        stating the answer, such as the verdict passages of a findings question) joins them as a third list,
        ordered by the first two."""
        if not self._searchable():
            return []
        depth = max(top_k * 4, 40)
        dense, lexical = self._candidates(query, depth, filters, mode, query_vector)
        return self._ranked(dense, lexical, mode, top_k, filters, evidence)

    def run_per_document(
        self, query: str, top_k: int, filters: Filters, documents: int, query_vector: np.ndarray | None = None,
        evidence: Sequence[str] = (),
    ) -> list[list[ScoredChunk]]:
        """For a question across reports: the rankings of the `documents` reports matching best, from one dense and
        one lexical retrieval deep enough for them all (not one retrieval per report). Each report's candidates are
        fused on their own, as if it had been searched alone, so the report matching best does not crowd out the
        others. The reports are those holding `evidence`, then those with the best passages in the joint ranking."""
        if not self._searchable():
            return []
        depth = max(top_k * 4, 40)
        dense, lexical = self._candidates(query, max(depth, top_k * documents), filters, "hybrid", query_vector)
        joint = fuse(dense, lexical, self.settings.fusion_dense_weight)
        best: dict[str, float] = {}
        groups: dict[str, tuple[list, list, list]] = {}
        for position, ranking in enumerate((dense, lexical)):
            for chunk_id, score in ranking:
                document_id = self.view.records[chunk_id].chunk.document_id
                group = groups.setdefault(document_id, ([], [], []))[position]
                if len(group) < depth:  # as deep as a search of this report alone
                    group.append((chunk_id, score))
                    best[document_id] = max(best.get(document_id, float("-inf")), joint[chunk_id])
        stated = [cid for cid in evidence if cid in self.view.records]
        for chunk_id in stated:
            groups.setdefault(self.view.records[chunk_id].chunk.document_id, ([], [], []))[2].append(chunk_id)
        chosen = sorted(groups, key=lambda d: (not groups[d][2], -best.get(d, float("-inf"))))[:documents]
        # Taken in turn in document order, as the per-report searches were: in order of their best passage, the
        # dev set's tuning part lost citation precision (.750 -> .746: a second passage of the best report quoted).
        order = sorted(chosen, key=lambda d: (not groups[d][2], d))
        rankings = [self._ranked(groups[d][0], groups[d][1], "hybrid", top_k, filters, groups[d][2]) for d in order]
        return [ranking for ranking in rankings if ranking]

    def _searchable(self) -> bool:
        if not self.ready:
            raise IndexNotReadyError("inget index är byggt ännu")
        return bool(self.view.records)  # empty for a caller who may see no document

    def _candidates(
        self, query: str, depth: int, filters: Filters, mode: Mode, query_vector: np.ndarray | None
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        if mode in ("dense", "hybrid"):
            vector = query_vector if query_vector is not None else self.embedder.embed_query(query)
            dense = self._dense(vector, depth, filters)
        if mode in ("lexical", "hybrid"):
            lexical = self._lexical(query, depth, filters)
        return dense, lexical

    def _ranked(
        self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]], mode: Mode, top_k: int, filters: Filters,
        evidence: Sequence[str],
    ) -> list[ScoredChunk]:
        if mode == "dense":
            fused = {cid: score for cid, score in dense}
        elif mode == "lexical":
            fused = {cid: score for cid, score in lexical}
        else:
            fused = fuse(dense, lexical, self.settings.fusion_dense_weight)
            admitted = [cid for cid in evidence if cid in self.view.records and filters.admits(self.view.records[cid])]
            if admitted:
                # The evidence list counts as much as each of the two retrievers did: one list of three.
                ordered = sorted(admitted, key=lambda cid: fused.get(cid, float("-inf")), reverse=True)
                joint = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)
                fused = rrf([joint, [(cid, 0.0) for cid in ordered]], self.settings.rrf_k, weights=(2.0, 1.0))
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:top_k]
        return [
            ScoredChunk(self.view.records[cid], score, dense_scores.get(cid), lexical_scores.get(cid))
            for cid, score in ranked
            if cid in self.view.records
        ]

    def _dense(self, vector: np.ndarray, depth: int, filters: Filters) -> list[tuple[str, float]]:
        """The `depth` nearest live chunks. Liveness is checked here, against the view, not by a `where` on every live
        version's content hash: Chroma evaluates such a filter over every record (O(documents) per question). A
        version not live (being written, replaced and not yet deleted, left by a crash) is rare and dropped; when
        drops leave fewer than `depth`, the query is repeated twice as deep. A filter that admits few chunks (a
        municipality's or a report's) is searched exactly over those chunks' vectors, read by id: Chroma's filtered
        search checks the filter against every record (O(corpus): 270-480 ms at 10,000 reports under load, against
        25-140 ms for the 600-850 chunks of a municipality there, the same ranking; docs/scale.md). A filter that
        admits many (a year's 1,200 chunks at 1,000 reports) is left to Chroma, which is faster there."""
        if filters:
            admitted = list(self.records_in(filters))
            if len(admitted) <= min(EXACT_UP_TO, EXACT_SHARE * len((self._whole or self.view).records)):
                return self._dense_exact(vector, depth, admitted)
        clauses: list[dict] = []
        if filters.document_id:
            clauses.append({"document_id": {"$in": list(filters.document_id)}})
        if filters.municipality:
            clauses.append({"municipality": {"$in": list(filters.municipality)}})
        if filters.year:
            clauses.append({"year": {"$in": list(filters.year)}})
        # A caller's invisible documents are not in the view, so their hits are dropped like stale ones. The access
        # clause also costs Chroma a pass over every record: worth it only where most hits would be dropped.
        share = len(self.view.records) / len((self._whole or self.view).records)
        if share < _ACCESS_CLAUSE_BELOW:
            clauses.append(access_where(self.access.groups))
            share = 1.0
        where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
        wanted = min(depth, len(self.view.records))
        k = math.ceil(wanted / share)
        while True:
            hits = self.store.search(vector, k, where)
            live = [h for h in hits if self._live(h)]
            if len(live) >= wanted or len(hits) < k:
                break
            k *= 2
        records = self.view.records
        return [(h.chunk_id, h.score) for h in live[:wanted] if records[h.chunk_id].chunk.quotable]

    def _dense_exact(self, vector: np.ndarray, depth: int, records: list[ChunkRecord]) -> list[tuple[str, float]]:
        """The `depth` chunks of `records` nearest `vector` by cosine similarity, as Chroma ranks them, scored exactly."""
        ids = [vector_id(r.chunk.chunk_id, r.content_hash) for r in records]
        stored = self.store.vectors_by_id(ids)
        present = [(record, stored[i]) for record, i in zip(records, ids, strict=True) if i in stored]
        if not present:
            return []
        matrix = np.stack([v for _, v in present])
        query = np.asarray(vector, dtype=np.float32)
        scores = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query)).clip(1e-12)
        wanted = min(depth, len(self.view.records))
        return [
            (present[i][0].chunk.chunk_id, float(scores[i])) for i in np.argsort(-scores, kind="stable")[:wanted]
            if present[i][0].chunk.quotable
        ]

    def _live(self, hit: DenseHit) -> bool:
        record = self.view.records.get(hit.chunk_id)
        return record is not None and record.content_hash == hit.content_hash

    def _lexical(self, query: str, depth: int, filters: Filters) -> list[tuple[str, float]]:
        index = self.view.lexical
        scores = index.scores(self.terms.expand(query) if self.terms else query)
        # Only chunks with a query word are ranked, and with filters only the chunks they admit (found per document):
        # sorting every chunk's score was O(corpus) per question.
        if filters:
            rows = index.rows_of(r.chunk.chunk_id for r in self.records_in(filters))
            matching = rows[scores[rows] > 0]
        else:
            matching = np.flatnonzero(scores > 0)
        # The best `ranked` of them in order, more only when too few of those are candidates.
        ranked = depth
        while True:
            candidates = []
            for position in _best_first(scores, matching, ranked):
                if len(candidates) >= depth:
                    break
                chunk_id = index.chunk_ids[position]
                # A chunk of a document the caller may not see is no candidate: the view holds none of them.
                record = self.view.records.get(chunk_id)
                if record is not None and (not filters or filters.admits(record)) and self.access.admits(record.metadata):
                    candidates.append((chunk_id, float(scores[position])))
            if len(candidates) >= depth or ranked >= len(matching):
                return candidates
            ranked *= 4

    def records_in(self, filters: Filters) -> Iterable[ChunkRecord]:
        by_document = self.view.by_document
        return (r for d in self.view.documents_in(filters) for r in by_document[d])


def _best_first(scores: np.ndarray, positions: np.ndarray, count: int) -> np.ndarray:
    """The `count` positions (ascending, of `scores`) with the highest scores, and any tied with the last of them, by
    score and then position: the first of the order a stable sort of all of them gives, without sorting them all."""
    values = scores[positions]
    if len(positions) > count:
        threshold = np.partition(values, len(values) - count)[len(values) - count]
        positions = positions[values >= threshold]
        values = scores[positions]
    return positions[np.argsort(-values, kind="stable")]


def rrf(
    rankings: Sequence[Sequence[tuple[str, float]]], k: int = Settings.model_fields["rrf_k"].default, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion: score = sum of weight / (k + rank). Joins the evidence list of a structured source
    (findings) to the retrievers' ranking, where only ranks are comparable."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, (chunk_id, _) in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank + 1)
    return fused


def fuse(dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]], dense_weight: float) -> dict[str, float]:
    """The hybrid score: a convex combination of each list's scores standardised over that list (z-scores); a
    passage one list lacks gets that list's lowest score. Unlike rank fusion it keeps how far ahead a list's
    top passages are, so a retriever sure of its answer outweighs one that is not. Measured against RRF on the
    dev set, the real reports and SweFAQ (tuning parts; docs/evaluation.md): it is the one fusion of those tried that is at
    least as good as the better of its two lists on every set."""
    standard = [_standardised(dense), _standardised(lexical)]
    floors = [min(s.values(), default=0.0) for s in standard]
    weights = (dense_weight, 1.0 - dense_weight)
    return {
        cid: sum(w * s.get(cid, floor) for w, s, floor in zip(weights, standard, floors))
        for cid in dict.fromkeys([c for c, _ in dense] + [c for c, _ in lexical])
    }


def _standardised(ranking: Sequence[tuple[str, float]]) -> dict[str, float]:
    if not ranking:
        return {}
    scores = np.array([score for _, score in ranking], dtype=np.float64)
    spread = scores.std() or 1.0
    return {cid: float((score - scores.mean()) / spread) for cid, score in ranking}
