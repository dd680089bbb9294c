"""Retrieval metrics on the dev set: rank every answerable item's question and score the rankings.

Our system is ranked in-process in four modes: lexical, dense and hybrid through
`QAService.retriever.run` (the code path behind /v1/search), and hybrid+filters through
`QAService.retrieve`, exactly what /v1/ask answers from: the filters it infers from the question
(`analyze_question` -> `QAService.effective_filters`), and per-report rankings taken in turn for a
question about several municipalities or across reports. A multi-turn item is ranked on its last
turn made self-contained the way /v1/ask does it (`resolve_history`), in every mode.
"""

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from evals.dataset import EvalItem
from evals.metrics import Gold, Retrieved, first_relevant_rank, mean, percentile, rank_metrics, relevance

MODES = ("lexical", "dense", "hybrid", "hybrid+filters")
DEPTH = 10
CURVE_KS = tuple(range(1, DEPTH + 1))


@dataclass
class ItemRanking:
    item_id: str
    kind: str
    question: str
    n_gold: int
    n_relevant: int  # chunks in the whole index that cover a gold passage
    rel: list[set[int]]  # per ranked chunk: the gold passages it covers
    top: list[str] = field(default_factory=list)  # "document_id §section" of the ranked chunks, for reports
    filters: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def first_rank(self) -> int | None:
        return first_relevant_rank(self.rel)


def golds(item: EvalItem) -> list[Gold]:
    return [Gold(g.document_id, g.quote) for g in item.gold]


def count_relevant(pool: Sequence[Retrieved], item: EvalItem) -> int:
    gold = golds(item)
    return sum(1 for covered in relevance(pool, gold) if covered)


def summarize(rankings: Sequence[ItemRanking]) -> dict:
    """Mean of every per-item figure, the recall@k curve, per kind, and timing."""

    def block(group: Sequence[ItemRanking]) -> dict:
        per_item = [rank_metrics(r.rel, r.n_gold, r.n_relevant) for r in group]
        out = {key: mean([m[key] for m in per_item]) for key in per_item[0]} if per_item else {}
        out["n"] = len(group)
        return out

    by_kind: dict[str, list[ItemRanking]] = defaultdict(list)
    for r in rankings:
        by_kind[r.kind].append(r)
    times = [r.seconds * 1000 for r in rankings]
    return {
        **block(rankings),
        "curve": {str(k): mean([1.0 if any(r.rel[:k]) else 0.0 for r in rankings]) for k in CURVE_KS},
        "unreachable": [r.item_id for r in rankings if r.n_relevant == 0],
        "latency_ms": {"p50": percentile(times, 50), "p95": percentile(times, 95)},
        "by_kind": {kind: block(group) for kind, group in sorted(by_kind.items())},
    }


def rank_items(items: Sequence[EvalItem], rank: Callable[[EvalItem], tuple[list[Retrieved], list[str], dict]], pool: Sequence[Retrieved]) -> list[ItemRanking]:
    """Rank each answerable item with `rank(item) -> (chunks, labels, filters)` and mark relevance."""
    out = []
    for item in items:
        if not item.answerable or not item.gold:
            continue
        started = time.perf_counter()
        chunks, labels, filters = rank(item)
        seconds = time.perf_counter() - started
        out.append(
            ItemRanking(
                item.id, item.kind, item.question, len(item.gold), count_relevant(pool, item),
                relevance(chunks[:DEPTH], golds(item)), labels[:DEPTH], filters, seconds,
            )
        )
    return out


def product_rankings(qa, items: Sequence[EvalItem]) -> dict[str, list[ItemRanking]]:
    """Rank the answerable items with our retriever in every mode of MODES."""
    from service.chat.service import resolve_history
    from service.query.analysis import analyze_question
    from service.query.retrieval import Filters

    retriever = qa.retriever
    view = retriever.view
    pool = [Retrieved(r.chunk.document_id, r.chunk.text) for r in view.records.values()]
    questions = {item.id: resolve_history(qa, item.turns)[1] for item in items if item.answerable}
    vectors = {item_id: qa.embedder.embed_query(question) for item_id, question in questions.items()}

    def ranker(mode: str) -> Callable:
        def rank(item: EvalItem):
            question, vector, filters = questions[item.id], vectors[item.id], Filters()
            if mode == "hybrid+filters":
                analysis = analyze_question(question, view.municipalities, view.years)
                filters = qa.effective_filters(question, analysis, Filters())
                hits = qa.retrieve(question, DEPTH, filters, vector, analysis)
            else:
                hits = retriever.run(question, DEPTH, filters, mode, query_vector=vector)
            chunks = [Retrieved(h.record.chunk.document_id, h.record.chunk.text) for h in hits]
            labels = [f"{h.record.chunk.document_id} §{h.record.chunk.section}" for h in hits]
            described = {k: list(v) for k, v in (("municipality", filters.municipality), ("year", filters.year), ("document_id", filters.document_id)) if v}
            return chunks, labels, described

        return rank

    return {mode: rank_items(items, ranker(mode), pool) for mode in MODES}


def baseline_rankings(baseline, items: Sequence[EvalItem], ranked: dict[str, list[Retrieved]], seconds: dict[str, float]) -> list[ItemRanking]:
    """Score the baseline's rankings (retrieved once for every item by evals.baseline)."""

    def rank(item: EvalItem):
        chunks = ranked[item.id]
        return chunks, [baseline.label(c) for c in chunks], {}

    out = rank_items(items, rank, baseline.pool)
    for r in out:
        r.seconds = seconds.get(r.item_id, 0.0)
    return out
