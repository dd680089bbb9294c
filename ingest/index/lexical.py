"""Swedish BM25: Snowball-stemmed, stopword-filtered, compound-split index over the live chunks that hold
statements (the cover, which has none, is left out).

On disk it is the word counts of each chunk, in segments that an ingest appends to (one per change, merged as they
accumulate), so a change costs the analysis of its own documents, not the corpus's. The stems, compound splits and
BM25 weights depend on the whole corpus (a word splits against the stems of every live chunk; IDF and the average
length move with every document) and are derived from the counts where the index is loaded, with array operations:
the result ranks as an index built from scratch over the same chunks does."""

import hashlib
import json
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

from ingest.index.catalog import Catalog, ChunkRecord
from ingest.index.locking import file_lock
from ingest.language.lexicon import word_forms
from ingest.structure.chunking import document_line, embedding_text

_TOKEN = re.compile(r"[^\W_]+(?:[-:][^\W_]+)*")
# A word as written, letters only (no digits, a soft hyphen or a line break parts it): what the question repair's
# vocabulary counts (service/query/repair.py), of every chunk's own text, the cover's too.
SURFACE_WORD = re.compile(r"[^\W\d_]+")
_STOPWORDS = frozenset(STOPWORDS_SWEDISH)
# Forms the stemmer leaves apart from their word: "rött" is "röd" (grade colours, in the reviewed lexicon).
_FORMS = word_forms()
_DOCUMENT_ID, _CONTENT_HASH, _POSITION = attrgetter("chunk.document_id"), attrgetter("content_hash"), attrgetter("position")
# The shortest compound part, and so the shortest corpus stem a part is checked against.
MIN_PART = 4


class CompoundSplitter:
    """Splits Swedish compounds into parts the corpus also uses on their own.

    "flyktingmottagande" also yields "flykting" and "mottagande", so a query for "mottagande av
    flyktingar" finds it (and the other way round); "arbetsmarknadsenheten" drops its linking s.
    Parts are checked as Snowball stems against the stems of the corpus vocabulary.
    """

    def __init__(self, stems: Iterable[str], min_part: int = MIN_PART) -> None:
        self.stems = frozenset(stems)
        self.min_part = min_part
        self._stemmer = Stemmer.Stemmer("swedish")
        # A word's parts depend only on the word and the stems: computed once per word, not once per occurrence (building
        # the index splits every word of every chunk; most occurrences are of words seen before).
        self._parts: dict[str, list[str]] = {}

    def parts(self, word: str) -> list[str]:
        """`split(word)`, remembered."""
        found = self._parts.get(word)
        if found is None:
            if len(self._parts) >= 500_000:  # queries add words too: bounded for a long-running service
                self._parts.clear()
            found = self._parts[word] = self.split(word)
        return found

    def split(self, word: str, depth: int = 2) -> list[str]:
        n = self.min_part
        if depth == 0 or len(word) < 2 * n:
            return []
        for i in range(len(word) - n, n - 1, -1):
            head, tail = word[:i], word[i:]
            if self._stemmer.stemWord(tail) not in self.stems:
                continue
            for candidate in (head, head[:-1] if head.endswith("s") and len(head) > n else None):
                if candidate and self._stemmer.stemWord(candidate) in self.stems:
                    return [candidate, tail, *self.split(candidate, depth - 1)]
        return []


class SwedishAnalyzer:
    """Lower-case word tokens without stopwords, compounds split, reduced by the Swedish Snowball stemmer."""

    def __init__(self, stem: bool = True, splitter: CompoundSplitter | None = None) -> None:
        self._stemmer = Stemmer.Stemmer("swedish") if stem else None
        self.splitter = splitter

    @staticmethod
    def stopword(word: str) -> bool:
        """Whether the analyzer drops the word ("under", "efter"): a word all the same, though no stem of the index."""
        return word in _STOPWORDS

    def words(self, text: str) -> list[str]:
        words = [_FORMS.get(w, w) for w in _TOKEN.findall(text.lower().replace("\u00ad", "")) if w not in _STOPWORDS]
        return [p for w in words for p in ([w] if "-" not in w else [w, *w.split("-")]) if p]

    def __call__(self, text: str) -> list[str]:
        parts = self.words(text)
        if self.splitter is not None:
            parts = [p for w in parts for p in (w, *self.splitter.parts(w))]
        return self._stemmer.stemWords(parts) if self._stemmer else parts


# BM25's "lucene" variant with bm25s's defaults, the settings the retrieval figures were measured with.
K1, B = 1.5, 0.75
# The word of a chunk with none (only stopwords or numbers), so that every chunk has a length.
EMPTY = "\u2205"
# Where an index of an earlier layout is found (one bm25s index rebuilt per generation; segments without the words as
# written), it is replaced whole.
FORMAT = 3
MANIFEST = "auditqa.json"
# What is derived from the whole saved index (see `LexicalIndex.loaded`), kept beside its segments for a restart at the
# same saved state; `_update` removes it with the segments it was derived from.
DERIVED = "derived-"


@dataclass
class WordCounts:
    """How often each word (`SwedishAnalyzer.words`) occurs in each chunk of some documents: the part of the analysis
    that depends on a chunk alone. Rows are chunks, grouped by document in document-id order. Beside them, each
    document's words as written (`SURFACE_WORD`) counted over its chunks' own texts, in the order they first occur."""

    documents: list[str]
    hashes: list[str]
    # Row range of each document: rows doc_starts[i]:doc_starts[i + 1] are documents[i]'s chunks.
    doc_starts: np.ndarray
    chunk_ids: list[str]
    words: list[str]
    counts: sparse.csr_matrix
    # Row i: documents[i]'s words as written, its columns in the order the words first occur in its text (kept so:
    # a document's row is only ever copied whole, never sorted).
    surface_words: list[str]
    surface: sparse.csr_matrix

    @classmethod
    def of(cls, documents: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], surface: Sequence[Sequence[str]] | None = None) -> "WordCounts":
        """From (document id, content hash, [(chunk id, text)]) in document-id order, and each document's chunk texts
        as written (`surface`: every chunk's, in order; by default the texts given)."""
        analyzer = SwedishAnalyzer(stem=False)
        vocabulary: dict[str, int] = {}
        indptr, indices, values, chunk_ids, starts = [0], [], [], [], [0]
        for _, _, chunks in documents:
            for chunk_id, text in chunks:
                counted = Counter(analyzer.words(text) or [EMPTY])
                indices.extend(vocabulary.setdefault(w, len(vocabulary)) for w in counted)
                values.extend(counted.values())
                indptr.append(len(indices))
                chunk_ids.append(chunk_id)
            starts.append(len(chunk_ids))
        counts = sparse.csr_matrix(
            (np.asarray(values, dtype=np.int32), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(len(chunk_ids), len(vocabulary)),
        )
        texts = surface if surface is not None else [[text for _, text in chunks] for _, _, chunks in documents]
        surface_words, surface_counts = _surface_rows([Counter(surface_words_of(t)) for t in texts])
        return cls([d for d, _, _ in documents], [h for _, h, _ in documents], np.asarray(starts, dtype=np.int64),
                   chunk_ids, list(vocabulary), counts, surface_words, surface_counts)

    def save(self, path: Path) -> None:
        with open(path, "wb") as handle:
            np.savez(
                handle, documents=np.asarray(self.documents, dtype=str), hashes=np.asarray(self.hashes, dtype=str),
                doc_starts=self.doc_starts, chunk_ids=np.asarray(self.chunk_ids, dtype=str),
                words=np.asarray(self.words, dtype=str), indptr=self.counts.indptr, indices=self.counts.indices,
                values=self.counts.data, surface_words=np.asarray(self.surface_words, dtype=str),
                surface_indptr=self.surface.indptr, surface_indices=self.surface.indices, surface_values=self.surface.data,
            )
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: Path) -> "WordCounts":
        with np.load(path) as f:
            words = f["words"].tolist()
            counts = sparse.csr_matrix((f["values"], f["indices"], f["indptr"]), shape=(len(f["chunk_ids"]), len(words)))
            documents, surface_words = f["documents"].tolist(), f["surface_words"].tolist()
            surface = sparse.csr_matrix(
                (f["surface_values"], f["surface_indices"], f["surface_indptr"]), shape=(len(documents), len(surface_words))
            )
            return cls(documents, f["hashes"].tolist(), f["doc_starts"], f["chunk_ids"].tolist(), words, counts, surface_words, surface)

    @staticmethod
    def join(parts: Sequence["WordCounts"], keep: dict[str, str]) -> "WordCounts":
        """The documents of `parts` that `keep` maps to their hash, in document-id order, over one vocabulary."""
        vocabulary = sorted({w for part in parts for w in part.words})
        position = {w: i for i, w in enumerate(vocabulary)}
        stacked = [
            sparse.csr_matrix(
                (part.counts.data, np.asarray([position[w] for w in part.words], dtype=np.int32)[part.counts.indices],
                 part.counts.indptr), shape=(part.counts.shape[0], len(vocabulary)),
            ) for part in parts
        ]
        picked = []  # (document, hash, part, its row in the part, its first chunk row there, that in the stacked parts, rows)
        offset = 0
        for part in parts:
            for i, (document, content_hash) in enumerate(zip(part.documents, part.hashes)):
                if keep.get(document) == content_hash:
                    start = int(part.doc_starts[i])
                    picked.append((document, content_hash, part, i, start, offset + start, int(part.doc_starts[i + 1]) - start))
            offset += part.counts.shape[0]
        picked.sort(key=lambda p: p[0])
        rows = np.concatenate([np.arange(first, first + n) for *_, first, n in picked]) if picked else np.zeros(0, dtype=np.int64)
        counts = sparse.vstack(stacked, format="csr") if stacked else sparse.csr_matrix((0, len(vocabulary)), dtype=np.int32)
        counts = _taken(counts, rows)
        chunk_ids = [part.chunk_ids[i] for _, _, part, _, start, _, n in picked for i in range(start, start + n)]
        starts = np.cumsum([0, *(n for *_, n in picked)]).astype(np.int64)
        surface_words, surface = _joined_surface(parts, [(part, row) for _, _, part, row, *_ in picked])
        return WordCounts([p[0] for p in picked], [p[1] for p in picked], starts, chunk_ids, vocabulary, counts, surface_words, surface)

    def surface_row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Document i's words as written (columns of surface_words, in first-occurrence order) and their counts."""
        start, end = self.surface.indptr[i], self.surface.indptr[i + 1]
        return self.surface.indices[start:end], self.surface.data[start:end]


def surface_words_of(texts: Sequence[str]) -> list[str]:
    """The words as written (`SURFACE_WORD`) of these texts in order; a line break between two texts parts words."""
    return SURFACE_WORD.findall("\n".join(texts))


def _surface_rows(counted: list[Counter]) -> tuple[list[str], sparse.csr_matrix]:
    """One row per Counter, its columns in the Counter's order (first occurrence), over one vocabulary."""
    vocabulary: dict[str, int] = {}
    indices, values, indptr = [], [], [0]
    for words in counted:
        indices.extend(vocabulary.setdefault(w, len(vocabulary)) for w in words)
        values.extend(words.values())
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.int32), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(counted), len(vocabulary)),
    )
    return list(vocabulary), matrix


def _joined_surface(parts: Sequence["WordCounts"], rows: list[tuple["WordCounts", int]]) -> tuple[list[str], sparse.csr_matrix]:
    """The surface rows (part, row) in this order over one vocabulary, each row's columns in its own order."""
    vocabulary = sorted({w for part in parts for w in part.surface_words})
    position = {w: i for i, w in enumerate(vocabulary)}
    columns = {id(part): np.asarray([position[w] for w in part.surface_words], dtype=np.int32) for part in parts}
    indices, values, lengths = [], [], []
    for part, row in rows:
        own, counts = part.surface_row(row)
        indices.append(columns[id(part)][own])
        values.append(counts)
        lengths.append(len(own))
    matrix = sparse.csr_matrix(
        (np.concatenate(values) if values else np.zeros(0, dtype=np.int32),
         np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32), np.cumsum([0, *lengths]).astype(np.int64)),
        shape=(len(rows), len(vocabulary)),
    )
    return vocabulary, matrix


@dataclass
class LexicalIndex:
    chunk_ids: list[str]
    generation: int
    _analyzer: SwedishAnalyzer
    _terms: dict[str, int]
    # BM25 weight of each term (column) in each chunk (row), column-major: a query sums the columns of its terms.
    _weights: sparse.csc_matrix
    # The word counts the index was derived from, rows aligned with chunk_ids.
    _counts: WordCounts
    # Where what is derived from this index is kept on disk (`loaded`); None for an index kept in memory only.
    _derived: Path | None = None

    @classmethod
    def build(cls, chunk_ids: list[str], texts: list[str], generation: int, split_compounds: bool = True) -> "LexicalIndex":
        """In memory, over these texts (one document holding them all)."""
        counts = WordCounts.of([("", "", list(zip(chunk_ids, texts, strict=True)))])
        return cls.over(counts, generation, split_compounds)

    @classmethod
    def over(cls, counts: WordCounts, generation: int, split_compounds: bool = True) -> "LexicalIndex":
        """The index over these word counts: each word's terms (its stem and its compound parts', split against the
        stems of every word present), then BM25 over the chunks' term counts."""
        present = np.flatnonzero(np.asarray(counts.counts.sum(axis=0)).ravel())
        words = [counts.words[i] for i in present]
        stemmer = Stemmer.Stemmer("swedish")
        splitter = CompoundSplitter({s for s in stemmer.stemWords(words) if len(s) >= MIN_PART}) if split_compounds else None
        analyzer = SwedishAnalyzer(splitter=splitter)
        terms: dict[str, int] = {}
        rows, cols = [], []
        for row, word in enumerate(words):
            for term in stemmer.stemWords([word, *(splitter.parts(word) if splitter else ())]):
                rows.append(row)
                cols.append(terms.setdefault(term, len(terms)))
        # A word yielding one term twice (a part stemmed as the whole is) counts twice, as the token list did.
        word_terms = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(words), len(terms)))
        frequency = (counts.counts[:, present].astype(np.float64) @ word_terms).tocsc()
        return cls(list(counts.chunk_ids), generation, analyzer, terms, _bm25_weights(frequency), counts)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        """The saved index, or None if there is none (or one of the earlier layout)."""
        manifest = _manifest(folder)
        if manifest is None:
            return None
        return cls.loaded(folder, manifest)

    @classmethod
    def loaded(cls, folder: Path, manifest: dict, keep: bool = True) -> "LexicalIndex":
        """The index of the segments `manifest` lists (the caller holds the lock). Its stems, compound splits and BM25
        weights are derived from every live chunk's counts (at 10,000 reports 5-6 s of start-up: joining the segments,
        splitting every word, weighing every term), but they change only with the segments: with `keep` they are
        saved beside them, under a name of the manifest's digest, the first time they are derived, and a process that
        finds the same manifest again (a restart with the corpus unchanged, another worker) reads them instead."""
        derived = folder / f"{DERIVED}{hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:24]}"
        saved = _read_arrays(derived, "index")
        if saved is not None:
            return cls._of_arrays(saved, manifest["generation"], derived)
        index = cls.over(_saved_counts(folder, manifest), manifest["generation"])
        index._derived = derived
        if keep:
            _write_arrays(derived, "index", index._arrays)
        return index

    def _arrays(self) -> dict[str, np.ndarray]:
        """What `_of_arrays` makes this index again from, bit for bit (the counts, the terms, the weights, the stems
        that compounds split against)."""
        counts = self._counts
        splitter = self._analyzer.splitter
        return {
            "documents": _packed(counts.documents), "hashes": _packed(counts.hashes), "doc_starts": counts.doc_starts,
            "chunk_ids": _packed(counts.chunk_ids), "words": _packed(counts.words), "indptr": counts.counts.indptr,
            "indices": counts.counts.indices, "values": counts.counts.data, "surface_words": _packed(counts.surface_words),
            "surface_indptr": counts.surface.indptr, "surface_indices": counts.surface.indices,
            "surface_values": counts.surface.data, "terms": _packed(self._terms), "weights": self._weights.data,
            "weight_indices": self._weights.indices, "weight_indptr": self._weights.indptr,
            "stems": _packed(sorted(splitter.stems) if splitter else []), "split": np.asarray([splitter is not None]),
        }

    @classmethod
    def _of_arrays(cls, f: dict[str, np.ndarray], generation: int, derived: Path) -> "LexicalIndex":
        chunk_ids, words, documents, terms = (_unpacked(f[k]) for k in ("chunk_ids", "words", "documents", "terms"))
        surface_words = _unpacked(f["surface_words"])
        counts = WordCounts(
            documents, _unpacked(f["hashes"]), f["doc_starts"], chunk_ids, words,
            sparse.csr_matrix((f["values"], f["indices"], f["indptr"]), shape=(len(chunk_ids), len(words))),
            surface_words,
            sparse.csr_matrix((f["surface_values"], f["surface_indices"], f["surface_indptr"]), shape=(len(documents), len(surface_words))),
        )
        weights = sparse.csc_matrix((f["weights"], f["weight_indices"], f["weight_indptr"]), shape=(len(chunk_ids), len(terms)))
        splitter = CompoundSplitter(_unpacked(f["stems"])) if bool(f["split"][0]) else None
        return cls(chunk_ids, generation, SwedishAnalyzer(splitter=splitter), {t: i for i, t in enumerate(terms)}, weights, counts, derived)

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {chunk_id: row for row, chunk_id in enumerate(self.chunk_ids)}

    def rows_of(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """The rows (positions in chunk_ids) of those of these chunks the index holds, ascending."""
        rows = self._row_of
        return np.asarray(sorted(row for chunk_id in chunk_ids if (row := rows.get(chunk_id)) is not None), dtype=np.int64)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, aligned with chunk_ids."""
        scores = np.zeros(len(self.chunk_ids), dtype=np.float32)
        weights = self._weights
        for token in self._analyzer(query):  # a term repeated in the query counts as often
            column = self._terms.get(token)
            if column is not None:
                start, end = weights.indptr[column], weights.indptr[column + 1]
                scores[weights.indices[start:end]] += weights.data[start:end]
        return scores

    def text_stem_frequencies(self, records: Iterable[ChunkRecord]) -> Counter:
        """`stem_frequencies` of these chunks' own texts (without the line and context `embedding_text` adds); for the
        chunks of exactly the versions the index holds (a whole view read at the index's state), read from the index's
        derived files once they hold it (`_kept`)."""
        records = list(records)  # read more than once
        kept = self._kept("stems", records)
        if kept is not None:
            return Counter(kept)
        frequency = self._text_stem_frequencies(records)
        self._keep("stems", records, frequency)
        return frequency

    def _text_stem_frequencies(self, records: Iterable[ChunkRecord]) -> Counter:
        """`text_stem_frequencies`, derived.

        Derived from the counts already loaded, not by analysing every text again (most of a second of start-up at
        1,000 reports): the words of an embedding text are those of its parts (the line break that joins them parts
        words), so a chunk's own words are its counts less those of its document line and context, each analysed
        once. A chunk the index does not hold in the record's version (a cover, a version made live since the index
        was loaded) is analysed. The words are those ingest counted, as BM25's are: a change to how `words` reads a
        word reaches them when the documents are counted again."""
        own, analysed = self._own_word_counts(records)
        words = self._counts.words
        stems: dict[str, int] = {}
        stem_of_word = [stems.setdefault(s, len(stems)) for s in Stemmer.Stemmer("swedish").stemWords(words)]
        kept = [i for i, word in enumerate(words) if word != EMPTY]  # the word of a chunk of none is no stem
        word_stems = sparse.csr_matrix(
            (np.ones(len(kept), dtype=np.int32), (kept, [stem_of_word[i] for i in kept])), shape=(len(words), len(stems))
        )
        chunks_holding = ((own @ word_stems) > 0).sum(axis=0).A1
        frequency = Counter({stem: int(chunks_holding[i]) for stem, i in stems.items() if chunks_holding[i]})
        frequency.update(stem_frequencies(analysed))
        return frequency

    def surface_counts(self, records: Iterable[ChunkRecord]) -> dict[str, int]:
        """How often each word as written (`SURFACE_WORD`) occurs in these chunks' own texts, in the order the words
        first occur in them (the records in their order, each document's together): what counting every text's
        words gives, added up from each document's counts saved at ingest rather than by reading 60 MB of text at
        10,000 reports. A document the index does not hold in its records' version is read. Kept with the index's
        derived files as `text_stem_frequencies` is."""
        records = list(records)  # read more than once
        kept = self._kept("surface", records)
        if kept is not None:
            return kept
        found = self._surface_counts(records)
        self._keep("surface", records, found)
        return found

    def _records_held(self, records: list[ChunkRecord]) -> int | None:
        """How many records these are, where they are of exactly the versions the index holds, in the catalog's order
        (by document id and position): what is derived from every chunk of them then depends on the index's state
        alone (a version's chunks never change). None for other records (a caller's part of the view, a newer
        version)."""
        if self._derived is None:
            return None
        documents = list(map(_DOCUMENT_ID, records))
        hashes = list(map(_CONTENT_HASH, records))
        versions = dict(zip(documents, hashes))
        in_order = list(zip(documents, map(_POSITION, records)))
        counts = self._counts
        held = (
            list(versions) == counts.documents and list(versions.values()) == counts.hashes
            and len(set(zip(documents, hashes))) == len(versions) and in_order == sorted(in_order)
        )
        return len(records) if held else None

    def _kept(self, name: str, records: list[ChunkRecord]) -> dict[str, int] | None:
        saved = None if self._derived is None else _read_arrays(self._derived, name)
        if saved is None or int(saved["records"][0]) != self._records_held(records):  # not every chunk of those versions
            return None
        return dict(zip(_unpacked(saved["keys"]), saved["values"].tolist(), strict=True))

    def _keep(self, name: str, records: list[ChunkRecord], found: dict[str, int]) -> None:
        if self._derived is None:
            return
        folder = self._derived.parent
        with file_lock(folder, exclusive=False):
            # Only beside the index they go with (not saved by a reload), and not once `_update` has replaced its
            # segments (and removed what was derived from them).
            if not folder.joinpath(f"{self._derived.name}-index.json").exists():
                return
            held = self._records_held(records)
            if held is not None:
                values = np.fromiter(found.values(), dtype=np.int64, count=len(found))
                _write_arrays(self._derived, name, lambda: {"keys": _packed(found), "values": values, "records": np.asarray([held])})

    def _surface_counts(self, records: Iterable[ChunkRecord]) -> dict[str, int]:
        """`surface_counts`, added up."""
        counts = self._counts
        row_of = {d: i for i, d in enumerate(counts.documents)}
        indexed = dict(zip(counts.documents, counts.hashes))
        texts: dict[str, list[str]] = {}
        versions: dict[str, str] = {}
        for record in records:
            document_id = record.chunk.document_id
            texts.setdefault(document_id, []).append(record.chunk.text)
            versions[document_id] = record.content_hash
        words = list(counts.surface_words)
        column = {w: i for i, w in enumerate(words)}
        indices, values = [], []
        for document_id, own in texts.items():
            if indexed.get(document_id) == versions[document_id]:
                held, n = counts.surface_row(row_of[document_id])
            else:
                read = Counter(surface_words_of(own))
                for word in read:
                    if word not in column:
                        column[word] = len(words)
                        words.append(word)
                held = np.asarray([column[w] for w in read], dtype=np.int64)
                n = np.asarray(list(read.values()), dtype=np.int64)
            indices.append(held)
            values.append(n)
        if not indices:
            return {}
        order = np.concatenate(indices)
        totals = np.bincount(order, weights=np.concatenate(values), minlength=len(words))
        present, first = np.unique(order, return_index=True)
        return {words[i]: int(totals[i]) for i in present[np.argsort(first, kind="stable")]}

    def _own_word_counts(self, records: Iterable[ChunkRecord]) -> tuple[sparse.csr_matrix, list[str]]:
        """The word counts of the texts of the records the index holds in their version (a row each), and the texts
        of the others."""
        counts = self._counts
        row_of = {chunk_id: row for row, chunk_id in enumerate(counts.chunk_ids)}
        indexed = dict(zip(counts.documents, counts.hashes))
        added: dict[str, int] = {}  # document lines and contexts, each analysed once
        line_of: dict[str, int] = {}
        rows, lines, contexts, analysed = [], [], [], []
        for record in records:
            chunk = record.chunk
            row = row_of.get(chunk.chunk_id)
            if row is None or indexed.get(chunk.document_id) != record.content_hash:
                analysed.append(chunk.text)
                continue
            line = line_of.get(chunk.document_id)
            if line is None:
                line = line_of[chunk.document_id] = added.setdefault(document_line(record.metadata), len(added))
            rows.append(row)
            lines.append(line)
            contexts.append(added.setdefault(chunk.context, len(added)))
        column = {word: i for i, word in enumerate(counts.words)}
        analyzer = SwedishAnalyzer(stem=False)
        added_counts = [Counter(analyzer.words(text)) for text in added]
        added_matrix = sparse.csr_matrix(
            (
                np.asarray([n for counted in added_counts for n in counted.values()], dtype=np.int32),
                np.asarray([column[w] for counted in added_counts for w in counted], dtype=np.int32),
                np.cumsum([0, *map(len, added_counts)]),
            ),
            shape=(len(added), len(counts.words)),
        )
        return _taken(counts.counts, np.asarray(rows, dtype=np.int64)) - added_matrix[lines] - added_matrix[contexts], analysed


def _packed(strings: Sequence[str]) -> np.ndarray:
    """Strings as one UTF-8 array, a line break between them: read back in one split, where a NumPy array of strings
    (4 bytes a character, padded to the longest) is read one string at a time. Words, stems and hashes hold no line
    break; an id that does (a file name may) raises ValueError, and nothing is saved."""
    joined = "\n".join(strings)
    if joined.count("\n") != max(len(strings) - 1, 0):
        raise ValueError("a string with a line break cannot be packed")
    return np.frombuffer(joined.encode(), dtype=np.uint8)


def _unpacked(packed: np.ndarray) -> list[str]:
    return packed.tobytes().decode().split("\n") if len(packed) else []


def _read_arrays(derived: Path, name: str) -> dict[str, np.ndarray] | None:
    """The arrays saved as `name` beside the index, mapped rather than read (a page is read when it is used, and the
    processes that map a file share its pages: the word counts, 70 MB at 10,000 reports, are used only for a caller
    who may see part of the corpus); copy-on-write, as SciPy sorts a matrix's indices in place where it finds them
    unsorted. None where there are none (not derived yet, or removed with their segments)."""
    try:
        keys = json.loads(derived.with_name(f"{derived.name}-{name}.json").read_text(encoding="utf-8"))
        return {key: np.load(derived.with_name(f"{derived.name}-{name}-{key}.npy"), mmap_mode="c") for key in keys}
    except (OSError, ValueError, TypeError):
        return None


def _write_arrays(derived: Path, name: str, arrays: Callable[[], dict[str, np.ndarray]]) -> None:
    """An array a file (`<derived>-<name>-<key>.npy`, each written under a temporary name, flushed to disk and then
    renamed), then the list of them (`<derived>-<name>.json`) the same way: a reader finds the list only once every
    array is whole, and a file is never changed once there (a process may have it mapped). Not saved where it cannot
    be (`_packed`, a full or read-only disk): it is derived again at the next start."""
    written: list[Path] = []
    try:
        for key, array in {**arrays()}.items():
            written.append(_written(derived.with_name(f"{derived.name}-{name}-{key}.npy"), lambda handle, a=array: np.save(handle, a)))
        keys = json.dumps([path.name.removeprefix(f"{derived.name}-{name}-").removesuffix(".npy") for path in written])
        _written(derived.with_name(f"{derived.name}-{name}.json"), lambda handle: handle.write(keys.encode()))
    except (OSError, ValueError):
        for path in written:
            path.unlink(missing_ok=True)


def _written(path: Path, write: Callable) -> Path:
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _taken(matrix: sparse.csr_matrix, rows: np.ndarray) -> sparse.csr_matrix:
    """These rows of the matrix; the matrix itself where they are all of its rows in order (the usual case: copying a
    matrix of every chunk's counts row by row is most of a second at 10,000 reports)."""
    if len(rows) == matrix.shape[0] and np.array_equal(rows, np.arange(len(rows))):
        return matrix
    return matrix[rows]


def stem_frequencies(texts: Iterable[str]) -> Counter:
    """How many of the texts hold each stem of `SwedishAnalyzer.words` (the document frequencies that weigh an
    answer's words). A word is stemmed once over all the texts, not once per occurrence."""
    analyzer = SwedishAnalyzer(stem=False)
    stemmer = Stemmer.Stemmer("swedish")
    stems: dict[str, str] = {}
    frequency: Counter = Counter()
    for text in texts:
        words = set(analyzer.words(text))
        unseen = [w for w in words if w not in stems]
        stems.update(zip(unseen, stemmer.stemWords(unseen)))
        frequency.update({stems[w] for w in words})
    return frequency


def _bm25_weights(frequency: sparse.csc_matrix) -> sparse.csc_matrix:
    """Per (chunk, term) idf * tf / (tf + k1 (1 - b + b len / average len)): BM25 "lucene", scored eagerly."""
    chunks = frequency.shape[0]
    lengths = np.asarray(frequency.sum(axis=1)).ravel()
    average = lengths.mean() if chunks else 1.0
    document_frequency = np.diff(frequency.indptr)
    idf = np.log(1 + (chunks - document_frequency + 0.5) / (document_frequency + 0.5))
    tf = frequency.data
    norm = K1 * (1 - B + B * lengths[frequency.indices] / average)
    data = (np.repeat(idf, document_frequency) * tf / (tf + norm)).astype(np.float32)
    return sparse.csc_matrix((data, frequency.indices, frequency.indptr), shape=frequency.shape)


def ensure_saved(catalog: Catalog, path: Path) -> None:
    """That the saved index is of the catalog's generation, without loading it when it is (what a writer needs:
    the readers load it)."""
    if _saved_generation(path) != catalog.generation:
        with file_lock(path, exclusive=True):
            _update(catalog, path)


def ensure_fresh(catalog: Catalog, path: Path, keep: bool = True) -> LexicalIndex:
    """The index of the live chunks, its saved counts brought up to the catalog's generation first if they are behind;
    with `keep`, what is derived from them is saved for the next process (`LexicalIndex.loaded`).

    Readers (a reload) and writers (an ingest) may run this at the same time, in threads or processes: the saved
    segments are changed under an exclusive lock and read under a shared one, so no one reads them half-written and
    two updates never interleave.
    """
    generation = catalog.generation
    with file_lock(path, exclusive=False):
        manifest = _manifest(path)
        if manifest is not None and manifest["generation"] == generation:
            return LexicalIndex.loaded(path, manifest, keep)
    with file_lock(path, exclusive=True):
        return LexicalIndex.loaded(path, _update(catalog, path), keep)


def _update(catalog: Catalog, path: Path) -> dict:
    """Bring the saved counts to the catalog's live versions (under the exclusive lock): documents gone or replaced
    are dropped from the manifest, the new versions' chunks are counted into one new segment, and segments are
    merged while the newest is at least half the size of the one before it (so there are about log2(chunks) of
    them and a chunk is rewritten about that many times over its life). The manifest written."""
    generation, live = catalog.versions()
    manifest = _manifest(path)
    if manifest is None:
        shutil.rmtree(path, ignore_errors=True)  # nothing, or an index of the earlier layout
        manifest = {"format": FORMAT, "generation": -1, "segments": []}
    path.mkdir(parents=True, exist_ok=True)
    segments = []
    for segment in manifest["segments"]:
        kept = {d: entry for d, entry in segment["documents"].items() if live.get(d) == entry[0]}
        if kept:  # a segment none of whose documents is live any more is dropped, its file with it
            segments.append({**segment, "documents": kept})
    indexed = {d for s in segments for d in s["documents"]}
    missing = {d for d in live if d not in indexed}
    if missing:
        every = catalog.chunks(missing)
        records = [r for r in every if r.chunk.quotable]
        counted = {r.chunk.document_id: r.content_hash for r in every}
        surface: dict[str, list[str]] = {d: [] for d in missing}
        for r in every:
            surface[r.chunk.document_id].append(r.chunk.text)
        # A version with no chunk that holds a statement is recorded too, so it is not read again next time.
        by_document = _texts_by_document(records, missing)
        counts = WordCounts.of([(d, counted.get(d, live[d]), chunks) for d, chunks in by_document], [surface[d] for d, _ in by_document])
        segments.append(_write_segment(path, counts))
    while len(segments) > 1 and _rows(segments[-1]) * 2 >= _rows(segments[-2]):
        merged = WordCounts.join([WordCounts.load(path / s["file"]) for s in segments[-2:]], keep=_hashes(segments[-2:]))
        segments[-2:] = [_write_segment(path, merged)]
    manifest = {"format": FORMAT, "generation": generation, "segments": segments}
    _write_manifest(path, manifest)
    for stale in set(os.listdir(path)) - {s["file"] for s in segments} - {MANIFEST}:
        (path / stale).unlink(missing_ok=True)
    return manifest


def _texts_by_document(records: list[ChunkRecord], documents: set[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    texts: dict[str, list[tuple[str, str]]] = {d: [] for d in documents}
    for r in records:
        texts[r.chunk.document_id].append((r.chunk.chunk_id, embedding_text(r.chunk, r.metadata)))
    return sorted(texts.items())


def _rows(segment: dict) -> int:
    """A segment's size for merging: its live documents' chunks."""
    return sum(rows for _, rows in segment["documents"].values())


def _hashes(segments: list[dict]) -> dict[str, str]:
    return {d: content_hash for s in segments for d, (content_hash, _) in s["documents"].items()}


def _write_segment(folder: Path, counts: WordCounts) -> dict:
    """Saved under a new name (segments are never changed in place: a reader may be loading the old one); its
    manifest entry, mapping each document to its hash and chunk count."""
    name = f"segment-{uuid.uuid4().hex}.npz"
    counts.save(folder / name)
    rows = np.diff(counts.doc_starts).tolist()
    return {"file": name, "documents": {d: [h, n] for d, h, n in zip(counts.documents, counts.hashes, rows, strict=True)}}


def _write_manifest(folder: Path, manifest: dict) -> None:
    tmp = folder / (MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(folder / MANIFEST)


def _manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("format") == FORMAT else None


def _saved_counts(folder: Path, manifest: dict) -> WordCounts:
    return WordCounts.join([WordCounts.load(folder / s["file"]) for s in manifest["segments"]], _hashes(manifest["segments"]))


def _saved_generation(path: Path) -> int:
    manifest = _manifest(path)
    return int(manifest["generation"]) if manifest else -1

