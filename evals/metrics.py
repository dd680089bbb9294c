"""Metric definitions, pure functions only (unit-tested in tests/test_metrics.py).

Retrieval (per item, on a ranked list of chunks):
- a chunk is *relevant* when it covers a gold passage: same document_id, and the gold quote
  (whitespace-normalized) occurs in the chunk text (whitespace-normalized);
- hit@k: ANY gold passage is covered within the top k ("recall@k" in the reports);
- all_gold@k: EVERY gold passage is covered within the top k;
- RR@k: 1 / rank of the first relevant chunk within the top k, else 0 (mean = MRR@k);
- nDCG@k: binary relevance per chunk; the ideal ranking puts all relevant chunks of the index
  (`n_relevant`, counted over every chunk the system could return) first.

Answers (per item):
- key facts: every must_contain fact (a list of alternative regexes) matches the answer
  text, case-insensitively; a refusal never counts as correct;
- forbidden: any must_not_contain regex matches a (non-refused) answer;
- citation precision: covering citations / citations; recall: covered gold / gold passages.
"""

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def normalize_ws(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Gold:
    document_id: str
    quote: str


@dataclass(frozen=True)
class Retrieved:
    """A retrieved or cited chunk as the metrics see it."""

    document_id: str
    text: str


def covers(chunk: Retrieved, gold: Gold) -> bool:
    return chunk.document_id == gold.document_id and normalize_ws(gold.quote) in normalize_ws(chunk.text)


def covered_golds(chunk: Retrieved, golds: Sequence[Gold]) -> set[int]:
    """Indices of the gold passages that this chunk covers."""
    text = normalize_ws(chunk.text)
    return {i for i, g in enumerate(golds) if g.document_id == chunk.document_id and normalize_ws(g.quote) in text}


def relevance(ranking: Sequence[Retrieved], golds: Sequence[Gold]) -> list[set[int]]:
    """For each ranked chunk, the gold passages it covers (empty set = not relevant)."""
    return [covered_golds(c, golds) for c in ranking]


def hit_at(rel: Sequence[set[int]], k: int) -> float:
    return 1.0 if any(rel[:k]) else 0.0


def all_gold_at(rel: Sequence[set[int]], n_gold: int, k: int) -> float:
    found: set[int] = set().union(*rel[:k]) if rel[:k] else set()
    return 1.0 if n_gold and len(found) >= n_gold else 0.0


def reciprocal_rank(rel: Sequence[set[int]], k: int = 10) -> float:
    for rank, covered in enumerate(rel[:k], start=1):
        if covered:
            return 1.0 / rank
    return 0.0


def first_relevant_rank(rel: Sequence[set[int]]) -> int | None:
    return next((rank for rank, covered in enumerate(rel, start=1) if covered), None)


def ndcg_at(rel: Sequence[set[int]], n_relevant: int, k: int = 10) -> float:
    """Binary nDCG@k; `n_relevant` = relevant chunks in the whole index (at least those ranked)."""
    gains = [1.0 if covered else 0.0 for covered in rel[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal_count = min(max(n_relevant, int(sum(gains))), k)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(ideal_count))
    return dcg / idcg if idcg else 0.0


def fact_matches(answer: str, alternatives: Iterable[str]) -> bool:
    return any(re.search(p, answer, re.IGNORECASE) for p in alternatives)


def missing_facts(answer: str, facts: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    return [tuple(f) for f in facts if not fact_matches(answer, f)]


def forbidden_matches(answer: str, patterns: Iterable[str]) -> list[str]:
    return [p for p in patterns if re.search(p, answer, re.IGNORECASE)]


def citation_hits(citations: Sequence[Retrieved], golds: Sequence[Gold]) -> tuple[int, int]:
    """(citations that cover some gold passage, gold passages covered by some citation)."""
    good, covered = 0, set()
    for c in citations:
        found = covered_golds(c, golds)
        good += bool(found)
        covered |= found
    return good, len(covered)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator/denominator, or None (shown as n/a) when nothing was counted."""
    return numerator / denominator if denominator else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), q in [0, 100]."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def refusal_scores(refused: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Refusal precision (refusals that were right) and recall (unanswerable items refused)."""
    true_refusals = sum(1 for r, a in zip(refused, answerable, strict=True) if r and not a)
    return {
        "refusal_precision": ratio(true_refusals, sum(refused)),
        "refusal_recall": ratio(true_refusals, sum(1 for a in answerable if not a)),
        "refused": float(sum(refused)),
        "false_refusals": float(sum(1 for r, a in zip(refused, answerable, strict=True) if r and a)),
    }


def rank_metrics(rel: Sequence[set[int]], n_gold: int, n_relevant: int, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Every per-item retrieval figure the reports use."""
    out = {f"recall@{k}": hit_at(rel, k) for k in ks}
    out["mrr@10"] = reciprocal_rank(rel, 10)
    out["ndcg@10"] = ndcg_at(rel, n_relevant, 10)
    out["all_gold@10"] = all_gold_at(rel, n_gold, 10)
    return out
