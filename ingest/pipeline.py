"""Ingest: files -> parsed documents -> chunks -> vectors (chunks in Chroma, units in SQLite) + live rows in the catalog
+ BM25.

Re-runnable and keyed on content hashes: an unchanged document is skipped, a changed one is written
as a new version and then switched live in one catalog transaction, and `prune` drops documents
whose files are gone. Vectors of versions that never went live (a crash mid-ingest) are removed on
the next run.
"""

import hashlib
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ingest.config import Settings
from ingest.documents.loading import (
    SUPPORTED_SUFFIXES,
    DocumentLimits,
    DocumentTooLargeError,
    LoadedDocument,
    LoadError,
    load_document,
    swedish_number,
)
from ingest.documents.metadata import DocumentMetadata, read_manifest, resolve_metadata
from ingest.embedding import Embedder
from ingest.findings.extraction import FindingsExtractor
from ingest.index.catalog import Catalog
from ingest.index.disk import naming_disk_full
from ingest.index.findings_store import FindingsStore
from ingest.index.lexical import ensure_saved
from ingest.index.vectors import StoreError, VectorStore, VersionVectors, text_key, unit_vector_id, vector_id
from ingest.structure.chunking import DEFAULT_MAX_WORDS, DEFAULT_MIN_WORDS, Chunk, SectionChunker, embedding_text, unit_contexts
from ingest.structure.parsing import ParsedDocument, ReportParser

log = logging.getLogger(__name__)

# Bump when parsing, chunking, findings extraction or the chunk metadata changes what a document turns into, so re-ingest rebuilds it.
PIPELINE_VERSION = "15"
_DOCUMENT_ID = re.compile(r"[^A-Za-z0-9åäöÅÄÖ._-]+")
# Texts embedded per call (each call is cut into the embedder's batches), so that progress can be reported, and a job
# cancelled, while a long report is embedded.
EMBED_GROUP_TEXTS = 64
# Vectors (chunks and units) of several documents are written to Chroma together, up to about this many, and the
# documents switched live after that write: a local Chroma's cost is mostly per write call (docs/scale.md), and the
# switches still follow their vectors. About 20 generated reports; one upload is a batch of its own.
WRITE_BATCH_RECORDS = 2000

ProgressFn = Callable[[str, int, int], None]
# stage(document_id, stage, done, total): "loading" (files done/total), "parsing" (0/0), "embedding" and
# "storing" (chunks done/total), then "live" once the new version is the one queries see (its old version's
# vectors are deleted only after this returns, so a reader may reload here).
StageFn = Callable[[str, str, int, int], None]


class IngestError(Exception):
    """A request to ingest that cannot be carried out (bad folder, unreadable manifest)."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    # The failed files that exceeded a limit (AUDITQA_MAX_*), by name: the upload API answers 413 for them.
    too_large: set[str] = field(default_factory=set)
    incomplete: dict[str, tuple[str, ...]] = field(default_factory=dict)
    chunks_embedded: int = 0
    # Passages (chunks and units) the model ran on, and those whose stored vector was reused (same text and model).
    texts_embedded: int = 0
    texts_reused: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        if not self.changed and not self.failed:
            return f"Nothing changed: {len(self.unchanged)} documents already up to date."
        rate = self.chunks_embedded / self.seconds if self.seconds else 0.0
        parts = [
            f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged",
            f"{len(self.removed)} removed", f"{len(self.failed)} failed",
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f} s ({rate:.1f} chunks/s)",
        ]
        if self.texts_reused:
            parts.append(f"{self.texts_reused} of {self.texts_reused + self.texts_embedded} passage vectors reused")
        return "Ingest: " + ", ".join(parts) + "."


@dataclass(frozen=True)
class PlannedDocument:
    document_id: str
    path: Path
    # None for a file known unchanged by its stamp, which was not read.
    loaded: LoadedDocument | None
    metadata: DocumentMetadata | None
    content_hash: str
    state: str  # "new" | "changed" | "unchanged"
    stamp: str = ""


def document_id_for(path: Path) -> str:
    return _DOCUMENT_ID.sub("-", unicodedata.normalize("NFC", path.stem)).strip("-") or "dokument"


def set_aside_index(settings: Settings) -> list[Path]:
    """For `auditqa ingest --rebuild`: move the catalog (with its findings), the unit vectors and the BM25 index aside,
    under a dated name, so that the next ingest builds them again from the files; the chunk vectors of documents that
    come back are rewritten in place and the rest are collected as orphans. The paths moved aside."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    databases = (settings.catalog_path, settings.units_path)
    for path in (*(d.with_name(d.name + s) for d in databases for s in ("", "-wal", "-shm")), settings.lexical_path):
        if path.exists():
            aside = path.with_name(f"{path.name}.broken-{stamp}")
            path.replace(aside)
            moved.append(aside)
    return moved


def discover(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise IngestError(f"mappen '{folder}' finns inte")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


class Ingestor:
    def __init__(self, settings: Settings, embedder: Embedder, store: VectorStore | None = None, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store or VectorStore(settings)
        self.catalog = catalog or Catalog(settings.catalog_path)
        self.parser = ReportParser()
        self.chunker = SectionChunker(settings.chunk_min_words, settings.chunk_max_words)
        self.extractor = FindingsExtractor()
        self.findings = FindingsStore(settings.catalog_path)
        self.limits = DocumentLimits.from_settings(settings)

    def warm_up(self) -> None:
        """Load what ingest runs: the passage model (not the query model, which ingest never uses)."""
        getattr(self.embedder, "warm_up_passages", self.embedder.warm_up)()

    def plan(
        self, paths: list[Path], manifest: dict[str, dict], stage: StageFn | None = None
    ) -> tuple[list[PlannedDocument], list[tuple[str, LoadError]]]:
        """The documents to ingest, and the files that could not be read with why."""
        planned, failed = [], []
        live_hashes = self.catalog.content_hashes()  # one read, not one connection per file
        stamps = self.catalog.file_stamps()
        for index, path in enumerate(paths):
            document_id = document_id_for(path)
            stamp = self._stamp(path, manifest.get(document_id))
            live = live_hashes.get(document_id)
            if stamp and live is not None and stamps.get(str(path.resolve())) == (stamp, document_id, live):
                planned.append(PlannedDocument(document_id, path, None, None, live, "unchanged", stamp))
                continue
            if stage:
                stage(document_id, "loading", index, len(paths))
            try:
                loaded = load_document(path, self.limits)
            except LoadError as exc:
                failed.append((path.name, exc))
                continue
            metadata = resolve_metadata(document_id, loaded.text, manifest, str(path))
            content_hash = self._content_hash(loaded, metadata)
            state = "new" if live is None else "unchanged" if live == content_hash else "changed"
            planned.append(PlannedDocument(document_id, path, loaded, metadata, content_hash, state, stamp))
        return planned, failed

    def _stamp(self, path: Path, entry: dict | None) -> str:
        """What the file's content hash depends on besides its bytes, with its size and modification time: equal
        stamps, equal hash (as make and rsync assume; `auditqa ingest --rebuild` reads every file again)."""
        try:
            info = path.stat()
        except OSError:
            return ""
        manifest = json.dumps(entry or {}, sort_keys=True, ensure_ascii=False, default=str)
        return f"{info.st_size}:{info.st_mtime_ns}:{self._pipeline_key()}:{self.embedder.model_name}:{manifest}"

    def _pipeline_key(self) -> str:
        """PIPELINE_VERSION, plus the chunk bounds when they are not the ones every earlier index was built with."""
        bounds = (self.chunker.min_words, self.chunker.max_words)
        return PIPELINE_VERSION if bounds == (DEFAULT_MIN_WORDS, DEFAULT_MAX_WORDS) else f"{PIPELINE_VERSION}:chunks={bounds[0]}-{bounds[1]}"

    def _content_hash(self, loaded: LoadedDocument, metadata: DocumentMetadata) -> str:
        digest = hashlib.sha256()
        meta = {k: v for k, v in metadata.as_dict().items() if k != "source_file"}
        for part in (self._pipeline_key(), self.embedder.model_name, repr(sorted(meta.items())), loaded.text, repr(loaded.pages)):
            digest.update(part.encode())
            digest.update(b"\x00")
        return digest.hexdigest()

    def run(
        self, folder: Path, *, prune: bool = False, progress: ProgressFn | None = None, stage: StageFn | None = None
    ) -> IngestReport:
        return self.run_files(
            discover(folder), manifest=read_manifest(folder), prune_missing=prune, progress=progress, stage=stage
        )

    def run_files(
        self,
        paths: list[Path],
        *,
        manifest: dict[str, dict] | None = None,
        prune_missing: bool = False,
        progress: ProgressFn | None = None,
        stage: StageFn | None = None,
    ) -> IngestReport:
        with naming_disk_full(self.settings.home):
            report = self._run_files(paths, manifest, prune_missing, progress, stage)
        self._save_vector_indexes()
        return report

    def _run_files(
        self, paths: list[Path], manifest: dict[str, dict] | None, prune_missing: bool, progress: ProgressFn | None,
        stage: StageFn | None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        report.removed = self.finish_deletes()
        planned, failed = self.plan(paths, manifest or {}, stage)
        report.failed = [(name, str(exc)) for name, exc in failed]
        report.too_large = {name for name, exc in failed if isinstance(exc, DocumentTooLargeError)}
        todo = [p for p in planned if p.state != "unchanged"]
        report.unchanged = [p.document_id for p in planned if p.state == "unchanged"]
        batch: list[Prepared] = []
        for index, doc in enumerate(todo, start=1):
            if progress:
                progress(doc.document_id, index, len(todo))
            if any(p.doc.document_id == doc.document_id for p in batch):
                # Two files of one document id (a.txt beside a.pdf): the later replaces the earlier, written after it.
                self._store(batch, report, stage)
                batch = []
            try:
                batch.append(self._prepare(doc, stage, batch))
            except DocumentTooLargeError as exc:
                report.failed.append((doc.path.name, str(exc)))
                report.too_large.add(doc.path.name)
                continue
            if sum(p.vectors.records for p in batch) >= WRITE_BATCH_RECORDS:
                self._store(batch, report, stage)
                batch = []
        self._store(batch, report, stage)
        if prune_missing:
            for record in self.catalog.documents():
                if not Path(record.source_path).exists():
                    self._remove(record.document_id, [])
                    report.removed.append(record.document_id)
        self.collect_stale()
        self.refresh_lexical()
        done = set(report.added) | set(report.updated) | set(report.unchanged)
        self.catalog.record_stamps([
            (str(p.path.resolve()), p.stamp, p.document_id, p.content_hash) for p in planned if p.stamp and p.loaded and p.document_id in done
        ])
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, doc: PlannedDocument, stage: StageFn | None, batch: list["Prepared"]) -> "Prepared":
        """Parse, chunk and embed a document; a text embedded for an earlier document of the batch, not yet written,
        is reused like a stored one."""
        report = stage or (lambda *_: None)
        report(doc.document_id, "parsing", 0, 0)
        parsed = self.parser.run(doc.loaded.text)
        chunks = [
            _with_page(c, doc.loaded.page_at(c.char_start)) for c in self.chunker.run(doc.document_id, parsed)
        ]
        limit = self.settings.max_chunks_per_document
        if len(chunks) > limit:
            # Refused before embedding: at a few chunks a second on a CPU (docs/performance.md), the embedding is where the time goes.
            raise DocumentTooLargeError(
                f"'{doc.path.name}' delas i {swedish_number(len(chunks))} stycken; gränsen är {swedish_number(limit)} per "
                "dokument (inställningen AUDITQA_MAX_CHUNKS_PER_DOCUMENT)"
            )
        pending = {key: vector for p in batch for key, vector in p.embedded.vectors_by_key()}
        embedded = self._embed(doc, chunks, report, pending)
        vectors = VersionVectors(doc.metadata, doc.content_hash, chunks, embedded.chunk_vectors, embedded.unit_vectors)
        return Prepared(doc, parsed, vectors, embedded)

    def _store(self, batch: list["Prepared"], result: IngestReport, stage: StageFn | None) -> None:
        """Write the batch's vectors, then switch each document live, extract its findings and delete its replaced
        version. A crash before a document's switch leaves its old version live and its new vectors recorded as
        unfinished, which the next run deletes."""
        if not batch:
            return
        report = stage or (lambda *_: None)
        for p in batch:
            report(p.doc.document_id, "storing", 0, len(p.vectors.chunks))
        # Recorded before any vector is written: a crash from here on leaves vectors that the next run deletes.
        self.catalog.begin_versions([(p.doc.document_id, p.doc.content_hash) for p in batch])
        self.store.add_versions([p.vectors for p in batch])
        for p in batch:
            self._switch(p, report)
            result.chunks_embedded += len(p.vectors.chunks)
            result.texts_embedded += p.embedded.count
            result.texts_reused += p.embedded.reused
            (result.added if p.doc.state == "new" else result.updated).append(p.doc.document_id)
            if p.doc.metadata.missing:
                result.incomplete[p.doc.document_id] = p.doc.metadata.missing

    def _switch(self, prepared: "Prepared", report: StageFn) -> None:
        doc, chunks, embedded = prepared.doc, prepared.vectors.chunks, prepared.embedded
        self.catalog.record_vectors(doc.document_id, doc.content_hash, [
            *(("chunk", key, vector_id(c.chunk_id, doc.content_hash)) for c, key in zip(chunks, embedded.chunk_keys)),
            *(("unit", key, unit_vector_id(c.chunk_id, doc.content_hash, i)) for c, keys in zip(chunks, embedded.unit_keys) for i, key in enumerate(keys)),
        ])
        pages = tuple((p.number, p.char_start, p.char_end) for p in doc.loaded.pages)
        self.catalog.activate(doc.metadata, doc.content_hash, doc.loaded.text, str(doc.path.resolve()), chunks, pages)
        report(doc.document_id, "live", len(chunks), len(chunks))
        extraction = self.extractor.run(doc.document_id, prepared.parsed)
        self.findings.replace(doc.document_id, extraction.findings, extraction.status)
        self.collect_stale(doc.document_id)
        log.info(
            "ingested %s: %d chunks, %d units, parts %s",
            doc.document_id, len(chunks), sum(len(c.units) for c in chunks), ", ".join(prepared.parsed.parts) or "none",
        )

    def _embed(self, doc: PlannedDocument, chunks: list[Chunk], report: StageFn, pending: dict[str, np.ndarray]) -> "Embedded":
        """Chunk vectors and per chunk its unit vectors. A text whose vector is stored already (same text, same model:
        an unchanged passage of a new version, a version whose metadata alone changed) is not embedded again. The
        rest is embedded one kind at a time, longest first, so that a batch pads short sentences only to the length of
        other sentences, never to a chunk's."""
        chunk_texts = [embedding_text(c, doc.metadata) for c in chunks]
        unit_texts = [
            [f"{context}\n{doc.loaded.text[s:e]}" if context else doc.loaded.text[s:e] for (s, e), context in zip(c.units, unit_contexts(c))]
            for c in chunks
        ]
        model = self.embedder.model_name
        prefix = getattr(self.embedder, "passage_prefix", "")
        chunk_keys = [text_key(model, prefix + t) for t in chunk_texts]
        unit_keys = [[text_key(model, prefix + t) for t in texts] for texts in unit_texts]
        known = {k: pending[k] for k in (*chunk_keys, *(k for keys in unit_keys for k in keys)) if k in pending}
        known.update(self._stored_vectors([k for k in chunk_keys if k not in known], [k for keys in unit_keys for k in keys if k not in known]))
        todo: dict[str, str] = {}  # key -> text, chunks first, then units; a text repeated is embedded once
        for keys, texts in ((chunk_keys, chunk_texts), *zip(unit_keys, unit_texts)):
            for key, text in zip(keys, texts):
                if key not in known:
                    todo.setdefault(key, text)
        report(doc.document_id, "embedding", 0, len(chunks))
        chunk_todo = {k: todo[k] for k in dict.fromkeys(chunk_keys) if k in todo}
        unit_todo = {k: t for k, t in todo.items() if k not in chunk_todo}
        done, total = 0, len(todo)
        for kind in (chunk_todo, unit_todo):
            ordered = sorted(kind, key=lambda k: -len(kind[k]))
            for start in range(0, len(ordered), EMBED_GROUP_TEXTS):
                group = ordered[start : start + EMBED_GROUP_TEXTS]
                vectors = self.embedder.embed_passages([kind[k] for k in group])
                known.update(zip(group, vectors))
                done += len(group)
                report(doc.document_id, "embedding", len(chunks) * done // max(total, 1), len(chunks))
        report(doc.document_id, "embedding", len(chunks), len(chunks))
        dimension = len(next(iter(known.values()))) if known else self.embedder.dimension
        chunk_vectors = np.asarray([known[k] for k in chunk_keys], dtype=np.float32).reshape(len(chunks), dimension)
        unit_vectors = [np.asarray([known[k] for k in keys], dtype=np.float32).reshape(len(keys), dimension) for keys in unit_keys]
        log.debug("%s: %d of %d texts embedded, the rest reused", doc.document_id, total, len(chunk_keys) + sum(map(len, unit_keys)))
        return Embedded(chunk_vectors, unit_vectors, chunk_keys, unit_keys, total)

    def _stored_vectors(self, chunk_keys: list[str], unit_keys: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these text keys, by key: which vector embeds each text is an indexed read of the
        catalog; Chroma is asked only for those vectors, by id (none on a first ingest of new texts)."""
        chunk_ids = self.catalog.vector_ids("chunk", chunk_keys)
        unit_ids = self.catalog.vector_ids("unit", unit_keys)
        if not chunk_ids and not unit_ids:
            return {}
        vectors = self.store.vectors_by_id(list(chunk_ids.values()), list(unit_ids.values()))
        return {key: vectors[i] for ids in (unit_ids, chunk_ids) for key, i in ids.items() if i in vectors}

    def remove(self, document_id: str, files: list[Path] = ()) -> bool:
        """Delete the document from the vector store, findings, its `files` and the catalog, all or nothing.

        The intent is recorded first; until the last step drops the catalog row (and the intent with it) the document
        stays live and listed. A step that fails (Chroma down, the disk) raises with the intent kept, and the delete
        is finished by the next call, the next ingest or the next start-up (`finish_deletes`): every step can be
        repeated. Lexical search follows the catalog's generation."""
        with naming_disk_full(self.settings.home):
            removed = self._remove(document_id, list(files))
        self._save_vector_indexes()
        return removed

    def _remove(self, document_id: str, files: list[Path]) -> bool:
        self.catalog.mark_deleting(document_id, [str(f) for f in files])
        return self._finish_delete(document_id, files)

    def _finish_delete(self, document_id: str, files: list[Path]) -> bool:
        self.store.delete_other_versions(document_id, keep_hash=None)
        self.findings.delete(document_id)
        for path in files:
            path.unlink(missing_ok=True)
        return self.catalog.remove(document_id)

    def finish_deletes(self) -> list[str]:
        """Finish the deletes a crash or a failed store left half done; the ids finished."""
        pending = self.catalog.pending_deletes()
        for document_id, files in pending.items():
            log.info("finishing the interrupted delete of %s", document_id)
            self._finish_delete(document_id, [Path(f) for f in files])
        if pending:
            self._save_vector_indexes()
        return list(pending)

    def collect_stale(self, document_id: str | None = None) -> int:
        """Delete the vectors of the versions the catalog recorded as replaced or never finished (of one document, or
        of all): work in proportion to what changed. A catalog that has not recorded them since it was made (one from
        before, or one set aside by --rebuild) gets one full sweep of the store, a page at a time. The versions
        deleted."""
        if document_id is None and not self.catalog.versions_tracked():
            return self._sweep_store()
        stale = self.catalog.stale_versions(document_id)
        for version in stale:
            self.store.delete_version(*version)
        if stale:
            self.catalog.forget_stale(stale)
        return len(stale)

    def _sweep_store(self) -> int:
        live = {(d.document_id, d.content_hash) for d in self.catalog.documents()}
        stale = sorted(self.store.versions() - live)
        for version in stale:
            self.store.delete_version(*version)
        self.catalog.forget_stale(self.catalog.stale_versions())
        self.catalog.mark_versions_tracked()
        return len(stale)

    def _save_vector_indexes(self) -> None:
        """Once a run's or a delete's writes are done: Chroma's index of the chunks saved, so that the next start loads
        it without replaying Chroma's log (seconds at 1,000 reports). The writes are durable in that log already, so a
        save that fails costs only that replay."""
        started = time.perf_counter()
        try:
            if self.store.save_indexes():
                log.info("Chroma's index saved in %.2f s", time.perf_counter() - started)
        except StoreError:
            log.warning("saving the vector index failed; the next start replays Chroma's log instead", exc_info=True)

    def refresh_lexical(self) -> None:
        """Bring the saved BM25 index to the catalog's generation: the words of the documents that changed are counted
        into a new segment (an upload's reload may have done it already); the index is never loaded here."""
        ensure_saved(self.catalog, self.settings.lexical_path)


@dataclass(frozen=True)
class Embedded:
    chunk_vectors: np.ndarray
    unit_vectors: list[np.ndarray]
    chunk_keys: list[str]
    unit_keys: list[list[str]]
    count: int  # texts embedded (the rest were reused)

    @property
    def reused(self) -> int:
        return len(self.chunk_keys) + sum(map(len, self.unit_keys)) - self.count

    def vectors_by_key(self) -> Iterator[tuple[str, np.ndarray]]:
        yield from zip(self.chunk_keys, self.chunk_vectors)
        for keys, vectors in zip(self.unit_keys, self.unit_vectors):
            yield from zip(keys, vectors)


@dataclass(frozen=True)
class Prepared:
    """A document parsed, chunked and embedded, waiting for its batch to be written."""

    doc: PlannedDocument
    parsed: ParsedDocument
    vectors: VersionVectors
    embedded: Embedded


def _with_page(chunk: Chunk, page: int | None) -> Chunk:
    return chunk if page is None else replace(chunk, page=page)
