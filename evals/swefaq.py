"""SweFAQ v2.0: a corpus-wide Swedish retrieval benchmark written outside the project.

Every distinct answer of dev+test is its own document (219); every question ranks the whole set.
Ranked in memory with the product's own pieces: `LexicalIndex.build` (bm25s, as ingest builds it) for
lexical; bm25s over `SwedishAnalyzer(stem=False)` tokens (no stemming, no compound splitting) for the
plain-BM25 reference; our `Embedder`
(query:/passage: prefixes, cosine via numpy) for dense, and `service.query.retrieval.fuse` (z-scored lists,
convex combination, fusing the top 40 of each list, as `HybridRetriever.run` does for top_k=10) for hybrid.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from evals.metrics import mean, reciprocal_rank
from ingest.config import Settings
from ingest.index.lexical import LexicalIndex, SwedishAnalyzer

MODES = ("bm25_plain", "lexical", "dense", "hybrid")
MODE_LABELS = {
    "bm25_plain": "plain BM25 (no stemming)",
    "lexical": "lexical (Swedish BM25)",
    "dense": "dense (e5)",
    "hybrid": "hybrid (fused)",
}
FUSION_DEPTH = 40  # HybridRetriever.run: depth = max(top_k * 4, 40)
SPLITS = ("dev", "test")
# The benchmark's own split is ours: its dev questions are the tuning part (the fusion was chosen on them),
# its test questions the held-out part.
PART_OF_SPLIT = {"dev": "tune", "test": "heldout"}


class SweFAQError(RuntimeError):
    """The SweFAQ folder is missing or malformed."""


@dataclass(frozen=True)
class SweFAQ:
    documents: list[str]  # distinct answers
    questions: list[str]
    gold: list[int]  # index into documents of each question's answer
    parts: list[str]  # "tune" or "heldout" for each question


def swefaq_dir(settings: Settings) -> Path:
    """The benchmark's folder, from AUDITQA_SWEFAQ_DIR: it is not part of the repository, so nothing guesses where it is."""
    if settings.swefaq_dir is None:
        raise SweFAQError("SweFAQ is not configured: set AUDITQA_SWEFAQ_DIR to its folder (.ci/run sets ../shared/data/swefaq)")
    return settings.swefaq_dir


def load_swefaq(folder: Path) -> SweFAQ:
    documents: dict[str, int] = {}
    questions, gold, parts = [], [], []
    for split in SPLITS:
        path = folder / f"swefaq_{split}.jsonl"
        if not path.is_file():
            raise SweFAQError(f"SweFAQ file {path} is missing; set AUDITQA_SWEFAQ_DIR to the folder holding swefaq_dev/test.jsonl")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                candidates, label = row["candidate_answers"], row["label"]
                answer = candidates[label]
                question = row["question"]
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise SweFAQError(f"{path.name}:{number}: malformed row: {exc}") from exc
            for candidate in candidates:
                documents.setdefault(candidate, len(documents))
            questions.append(question)
            gold.append(documents[answer])
            parts.append(PART_OF_SPLIT[split])
    return SweFAQ(list(documents), questions, gold, parts)


class PlainBM25:
    """The reference: bm25s with the same defaults, over lower-cased words without stopwords; no stemming, no compound splitting."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._analyzer = SwedishAnalyzer(stem=False)
        self._bm25 = bm25s.BM25()
        self._bm25.index([self._analyzer(t) or ["\u2205"] for t in texts], show_progress=False)
        self._size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        tokens = self._analyzer(query)
        if not tokens:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)


def _lexical_ranking(index: "LexicalIndex | PlainBM25", query: str, depth: int) -> list[tuple[int, float]]:
    # Mirrors HybridRetriever._lexical: only documents with a positive score are retrieved.
    scores = index.scores(query)
    order = np.argsort(-scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order[:depth] if scores[i] > 0]


def rank_all(data: SweFAQ, embedder, depth: int = FUSION_DEPTH) -> dict[str, list[list[int]]]:
    """mode -> for every question, document indices best first (at most `depth`)."""
    from service.query.retrieval import fuse

    ids = [str(i) for i in range(len(data.documents))]
    stemmed = LexicalIndex.build(ids, data.documents, generation=0)  # exactly as the product builds it
    plain = PlainBM25(data.documents)
    doc_vectors = embedder.embed_passages(data.documents)
    rankings: dict[str, list[list[int]]] = {mode: [] for mode in MODES}
    for question in data.questions:
        lexical = _lexical_ranking(stemmed, question, depth)
        similarities = doc_vectors @ embedder.embed_query(question)
        order = np.argsort(-similarities, kind="stable")[:depth]
        dense = [(int(i), float(similarities[i])) for i in order]
        fused = fuse(dense, lexical, Settings.model_fields["fusion_dense_weight"].default)
        hybrid = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)
        rankings["bm25_plain"].append([i for i, _ in _lexical_ranking(plain, question, depth)])
        rankings["lexical"].append([i for i, _ in lexical])
        rankings["dense"].append([i for i, _ in dense])
        rankings["hybrid"].append([i for i, _ in hybrid])
    return rankings


def score(rankings: Sequence[Sequence[int]], gold: Sequence[int]) -> dict:
    rels = [[{0} if doc == g else set() for doc in ranking] for ranking, g in zip(rankings, gold, strict=True)]
    return {
        "recall@1": mean([1.0 if any(r[:1]) else 0.0 for r in rels]),
        "recall@5": mean([1.0 if any(r[:5]) else 0.0 for r in rels]),
        "recall@10": mean([1.0 if any(r[:10]) else 0.0 for r in rels]),
        "mrr@10": mean([reciprocal_rank(r, 10) for r in rels]),
        "curve": {str(k): mean([1.0 if any(r[:k]) else 0.0 for r in rels]) for k in range(1, 11)},
    }


def evaluate_swefaq(folder: Path, embedder) -> dict:
    data = load_swefaq(folder)
    rankings = rank_all(data, embedder)
    modes = {mode: score(rankings[mode], data.gold) for mode in MODES}
    reference = modes["bm25_plain"]["mrr@10"]
    for mode in MODES:
        modes[mode]["mrr@10_gain"] = modes[mode]["mrr@10"] - reference
    parts = {}
    for part in ("tune", "heldout"):
        chosen = [i for i, p in enumerate(data.parts) if p == part]
        parts[part] = {
            mode: {k: v for k, v in score([rankings[mode][i] for i in chosen], [data.gold[i] for i in chosen]).items() if k != "curve"}
            for mode in MODES
        } | {"n": len(chosen)}
    return {"n_documents": len(data.documents), "n_questions": len(data.questions), "modes": modes, "parts": parts, "source": str(folder)}
