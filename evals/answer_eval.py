"""Answer metrics through the real HTTP API (/v1/ask), and request latency of /v1/search and /v1/ask.

Every item is asked over HTTP exactly as a client would: a multi-turn item turn by turn, the first
turn starting a conversation and each later one carrying the conversation_id the first answer
returned. Only the answer to the last turn is scored. refused = `grounded == false`.
"""

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from evals import retrieval_eval
from evals.dataset import EvalItem
from evals.metrics import (
    Gold,
    Retrieved,
    citation_hits,
    forbidden_matches,
    mean,
    missing_facts,
    percentile,
    ratio,
    refusal_scores,
)
from ingest.config import Settings
from service.api.presenters import chunk_texts


class ApiError(RuntimeError):
    """The API answered an eval request with an error status."""


@contextmanager
def in_process_client(settings: Settings, embedder=None) -> Iterator:
    """`TestClient(app)` over `settings.home`, lifespan included, as the one local caller the harness is: no API keys,
    no rate limit (it asks hundreds of questions a minute), and TestClient's host name allowed."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    harness = settings.model_copy(
        update={"api_keys": None, "api_keys_file": None, "rate_limit_per_minute": 0, "allowed_hosts": [*settings.allowed_hosts, "testserver"]}
    )
    with TestClient(create_app(harness, embedder)) as client:
        yield client


@dataclass
class AnswerRecord:
    item_id: str
    answer: str
    grounded: bool
    citations: list[Retrieved]
    answerer: str = ""
    earlier: list[dict] = field(default_factory=list)  # earlier turns of a multi-turn item: question, answer
    resolved_question: str | None = None  # the follow-up as the service made it self-contained


@dataclass
class ItemScore:
    item_id: str
    kind: str
    answerable: bool
    refused: bool
    facts_ok: bool | None  # None for unanswerable items
    missing: list[tuple[str, ...]]
    forbidden: list[str]
    n_citations: int
    good_citations: int
    n_gold: int
    gold_covered: int

    @property
    def refusal_error(self) -> str | None:
        if self.answerable and self.refused:
            return "refused an answerable question"
        if not self.answerable and not self.refused:
            return "answered an unanswerable question"
        return None

    @property
    def failed(self) -> bool:
        return bool(self.refusal_error or self.facts_ok is False or self.forbidden)


def _post(client, path: str, body: dict, latencies: list[float]) -> dict:
    started = time.perf_counter()
    response = client.post(path, json=body)
    latencies.append((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        raise ApiError(f"POST {path} {body!r} -> {response.status_code}: {response.text[:500]}")
    return response.json()


def missing_documents(qa, items: Sequence[EvalItem]) -> list[str]:
    """The documents the items' gold passages cite that the loaded index does not hold."""
    return sorted({g.document_id for item in items for g in item.gold} - set(qa.retriever.view.document_ids))


def rank_and_ask(
    client, items: Sequence[EvalItem], phase: Callable[[str, float], None], lacking: Callable[[list[str]], Exception], prefix: str = ""
) -> tuple[dict, list[AnswerRecord], list[float]]:
    """Every item ranked in-process (retrieval_eval's four modes) and asked through /v1/ask, each step timed as a
    phase; an index without a document the items cite raises `lacking(ids)` first, since every score would be off."""
    qa = client.app.state.qa
    missing = missing_documents(qa, items)
    if missing:
        raise lacking(missing)
    started = time.perf_counter()
    rankings = retrieval_eval.product_rankings(qa, items)
    phase(f"{prefix}retrieval (ours, 4 modes)", started)
    started = time.perf_counter()
    records, latencies = ask_all(client, items)
    phase(f"{prefix}answers via /v1/ask", started)
    return rankings, records, latencies


def ask_all(client, items: Sequence[EvalItem]) -> tuple[list[AnswerRecord], list[float]]:
    """Ask every item through /v1/ask; returns the records and each request's latency in ms."""
    records, latencies = [], []
    for item in items:
        conversation_id = None
        earlier = []
        body: dict = {}
        for turn in item.turns:
            request: dict = {"question": turn}
            if conversation_id:
                request["conversation_id"] = conversation_id
            elif len(item.turns) > 1:
                request["conversation"] = True
            body = _post(client, "/v1/ask", request, latencies)
            conversation_id = body.get("conversation_id") or conversation_id
            earlier.append({"question": turn, "answer": body["answer"], "grounded": body["grounded"]})
        citations = body.get("citations", [])
        records.append(
            AnswerRecord(
                item.id, body["answer"], bool(body["grounded"]),
                [Retrieved(c["document_id"], text) for c, text in zip(citations, chunk_texts(citations), strict=True)],
                body.get("answerer", ""), earlier[:-1], body.get("resolved_question"),
            )
        )
    return records, latencies


def search_all(client, items: Sequence[EvalItem], top_k: int = 10) -> list[float]:
    """Send every item's (last-turn) question to /v1/search; returns each request's latency in ms."""
    latencies: list[float] = []
    for item in items:
        _post(client, "/v1/search", {"query": item.question, "top_k": top_k}, latencies)
    return latencies


def latency_summary(latencies: Sequence[float]) -> dict:
    return {"n": len(latencies), "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95), "max_ms": max(latencies, default=None)}


def score_item(item: EvalItem, record: AnswerRecord) -> ItemScore:
    refused = not record.grounded
    gold = [Gold(g.document_id, g.quote) for g in item.gold]
    good, covered = citation_hits(record.citations, gold) if item.answerable else (0, 0)
    missing = missing_facts(record.answer, item.must_contain) if item.answerable else []
    return ItemScore(
        item_id=item.id, kind=item.kind, answerable=item.answerable, refused=refused,
        facts_ok=(not refused and not missing) if item.answerable else None,
        missing=missing if not refused else [tuple(f) for f in item.must_contain],
        forbidden=[] if refused else forbidden_matches(record.answer, item.must_not_contain),
        n_citations=len(record.citations) if item.answerable else 0, good_citations=good,
        n_gold=len(gold), gold_covered=covered,
    )


def aggregate(scores: Sequence[ItemScore], with_forbidden_items: set[str]) -> dict:
    answerable = [s for s in scores if s.answerable]
    forbidden_pool = [s for s in scores if s.item_id in with_forbidden_items]
    refusal = refusal_scores([s.refused for s in scores], [s.answerable for s in scores])
    return {
        "n": len(scores),
        "n_answerable": len(answerable),
        "key_fact_accuracy": mean([1.0 if s.facts_ok else 0.0 for s in answerable]),
        "forbidden_rate": ratio(sum(1 for s in forbidden_pool if s.forbidden), len(forbidden_pool)),
        "citation_precision": ratio(sum(s.good_citations for s in answerable), sum(s.n_citations for s in answerable)),
        "citation_recall": ratio(sum(s.gold_covered for s in answerable), sum(s.n_gold for s in answerable)),
        "refusal_precision": refusal["refusal_precision"],
        "refusal_recall": refusal["refusal_recall"],
        "refused_rate": ratio(refusal["refused"], len(scores)),
        "false_refusals": int(refusal["false_refusals"]),
        "citations_per_answer": ratio(sum(s.n_citations for s in answerable if not s.refused), sum(1 for s in answerable if not s.refused)),
    }


def score_answers(items: Sequence[EvalItem], records: Sequence[AnswerRecord]) -> tuple[dict, list[ItemScore]]:
    """Overall and per-kind answer metrics, and each item's score (for the failure list)."""
    by_id = {r.item_id: r for r in records}
    scores = [score_item(item, by_id[item.id]) for item in items]
    with_forbidden = {item.id for item in items if item.must_not_contain}
    by_kind: dict[str, list[ItemScore]] = defaultdict(list)
    for s in scores:
        by_kind[s.kind].append(s)
    summary = {
        **aggregate(scores, with_forbidden),
        "by_kind": {kind: aggregate(group, with_forbidden) for kind, group in sorted(by_kind.items())},
    }
    return summary, scores


PART_KEYS = ("key_fact_accuracy", "forbidden_rate", "citation_precision", "citation_recall", "refusal_precision", "refusal_recall")


def part_summaries(items: Sequence[EvalItem], scores: Sequence[ItemScore], part_of: dict[str, str]) -> dict:
    """Answer metrics of the tune and held-out parts, and the gap tune - held-out (a positive gap = tuned to)."""
    with_forbidden = {item.id for item in items if item.must_not_contain}
    out: dict = {part: aggregate([s for s in scores if part_of[s.item_id] == part], with_forbidden) for part in ("tune", "heldout")}
    out["gap"] = {
        key: None if out["tune"][key] is None or out["heldout"][key] is None else out["tune"][key] - out["heldout"][key]
        for key in PART_KEYS
    }
    return out
