"""Swedish BM25: Snowball-stemmed, stopword-filtered inverted index over the live chunks that hold statements
(bm25s), on disk; the cover, which has none, is left out."""

import fcntl
import json
import re
import shutil
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

from ingest.index.catalog import Catalog
from ingest.structure.chunking import embedding_text

_TOKEN = re.compile(r"[^\W_]+(?:[-:][^\W_]+)*")
_STOPWORDS = frozenset(STOPWORDS_SWEDISH)


class CompoundSplitter:
    """Splits Swedish compounds into parts the corpus also uses on their own.

    "flyktingmottagande" also yields "flykting" and "mottagande", so a query for "mottagande av
    flyktingar" finds it (and the other way round); "arbetsmarknadsenheten" drops its linking s.
    Parts are checked as Snowball stems against the stems of the corpus vocabulary.
    """

    def __init__(self, stems: Iterable[str], min_part: int = 4) -> None:
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

    def words(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower().replace("\u00ad", "")) if w not in _STOPWORDS]
        return [p for w in words for p in ([w] if "-" not in w else [w, *w.split("-")]) if p]

    def __call__(self, text: str) -> list[str]:
        parts = self.words(text)
        if self.splitter is not None:
            parts = [p for w in parts for p in (w, *self.splitter.parts(w))]
        return self._stemmer.stemWords(parts) if self._stemmer else parts


def corpus_stems(texts: Iterable[str], min_part: int = 4) -> set[str]:
    plain = SwedishAnalyzer()
    return {t for text in texts for t in plain(text) if len(t) >= min_part}


@dataclass
class LexicalIndex:
    chunk_ids: list[str]
    generation: int
    _bm25: bm25s.BM25
    _analyzer: SwedishAnalyzer

    @classmethod
    def build(cls, chunk_ids: list[str], texts: list[str], generation: int, split_compounds: bool = True) -> "LexicalIndex":
        splitter = CompoundSplitter(corpus_stems(texts)) if split_compounds else None
        analyzer = SwedishAnalyzer(splitter=splitter)
        bm25 = bm25s.BM25()
        if texts:
            bm25.index([analyzer(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(list(chunk_ids), generation, bm25, analyzer)

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.chunk_ids:
            self._bm25.save(str(tmp), show_progress=False)
        splitter = self._analyzer.splitter
        meta = {
            "chunk_ids": self.chunk_ids,
            "generation": self.generation,
            "compound_stems": sorted(splitter.stems) if splitter else None,
        }
        (tmp / "auditqa.json").write_text(json.dumps(meta, ensure_ascii=False))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        meta_path = folder / "auditqa.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text())
        bm25 = bm25s.BM25.load(str(folder), show_progress=False) if meta["chunk_ids"] else bm25s.BM25()
        stems = meta.get("compound_stems")
        analyzer = SwedishAnalyzer(splitter=CompoundSplitter(stems) if stems is not None else None)
        return cls(meta["chunk_ids"], meta["generation"], bm25, analyzer)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, aligned with chunk_ids."""
        tokens = self._analyzer(query)
        if not tokens or not self.chunk_ids:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)


def ensure_saved(catalog: Catalog, path: Path) -> None:
    """That the saved BM25 index is of the catalog's generation, without loading it when it is (what a writer needs:
    the readers load it)."""
    if _saved_generation(path) != catalog.generation:
        ensure_fresh(catalog, path)


def ensure_fresh(catalog: Catalog, path: Path) -> LexicalIndex:
    """The BM25 index of the live chunks, rebuilt only if the catalog moved on since it was saved.

    Readers (a reload) and writers (an ingest) may run this at the same time, in threads or processes: the
    saved folder is swapped under an exclusive lock and read under a shared one, so no one reads it half-swapped
    and two saves never interleave.
    """
    generation = catalog.generation
    with _lexical_lock(path, exclusive=False):
        current = LexicalIndex.load(path)
    if current is not None and current.generation == generation:
        return current
    records = [r for r in catalog.chunks() if r.chunk.quotable]
    index = LexicalIndex.build(
        [r.chunk.chunk_id for r in records], [embedding_text(r.chunk, r.metadata) for r in records], generation
    )
    with _lexical_lock(path, exclusive=True):
        if _saved_generation(path) != generation:  # another process may have saved this generation meanwhile
            index.save(path)
    return index


def _saved_generation(path: Path) -> int:
    try:
        return int(json.loads((path / "auditqa.json").read_text())["generation"])
    except (OSError, ValueError, KeyError):
        return -1


@contextmanager
def _lexical_lock(path: Path, exclusive: bool):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield  # closing the file releases the lock
