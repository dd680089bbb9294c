"""Swedish BM25: Snowball-stemmed, stopword-filtered inverted index over the live chunks (bm25s), on disk."""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

_TOKEN = re.compile(r"[^\W_]+(?:[-:][^\W_]+)*")
_STOPWORDS = frozenset(STOPWORDS_SWEDISH)


class SwedishAnalyzer:
    """Lower-case word tokens without stopwords, reduced by the Swedish Snowball stemmer."""

    def __init__(self, stem: bool = True) -> None:
        self._stemmer = Stemmer.Stemmer("swedish") if stem else None

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower().replace("\u00ad", "")) if w not in _STOPWORDS]
        parts = [p for w in words for p in ([w] if "-" not in w else [w, *w.split("-")]) if p]
        return self._stemmer.stemWords(parts) if self._stemmer else parts


@dataclass
class LexicalIndex:
    chunk_ids: list[str]
    generation: int
    _bm25: bm25s.BM25
    _analyzer: SwedishAnalyzer

    @classmethod
    def build(cls, chunk_ids: list[str], texts: list[str], generation: int, analyzer: SwedishAnalyzer | None = None) -> "LexicalIndex":
        analyzer = analyzer or SwedishAnalyzer()
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
        (tmp / "auditqa.json").write_text(json.dumps({"chunk_ids": self.chunk_ids, "generation": self.generation}))
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
        return cls(meta["chunk_ids"], meta["generation"], bm25, SwedishAnalyzer())

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, aligned with chunk_ids."""
        tokens = self._analyzer(query)
        if not tokens or not self.chunk_ids:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
