"""Runs the evaluation suite end to end and writes the reports: `run_eval(set_name, settings, out_dir)`.

set_name: "dev" (retrieval + answers on evals/dev.jsonl, ours vs the LlamaIndex baseline),
"swefaq" (the external retrieval benchmark), "real" (evals/real_reports.jsonl over reports by other firms,
ingested in place into a home of their own), "all", or sets joined by "+" ("dev+swefaq"). The dev index in
`settings.home` must already be built (`auditqa eval` ingests first; the tests use the session's corpus_home).
Answers of dev and real are also scored per part of evals/splits.toml (tune / held-out) with the gap between.
"""

import datetime as dt
import logging
import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from evals import answer_eval, retrieval_eval
from evals.baseline import CHUNK_OVERLAP, CHUNK_SIZE, LlamaIndexBaseline
from evals.dataset import CORPUS_DIR, DEV_PATH, EvalItem, corpus_texts, load_items, load_real_items, real_texts
from evals.gates import THRESHOLDS_PATH, ThresholdsError, check, load_gates
from evals.metrics import Retrieved
from evals.real_set import real_reports_dir, run_real
from evals.report import write_reports
from evals.splits import SPLITS_PATH, Splits, check_dev, check_real, load_splits
from evals.swefaq import evaluate_swefaq, swefaq_dir
from ingest.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

BASE_SETS = ("dev", "swefaq", "real")
SETS = (*BASE_SETS, "all")
PARTS = ("tune", "heldout", "gap")
REPORTS_DIR = Path(__file__).resolve().parent / "reports"
ANSWER_KEYS = ("key_fact_accuracy", "forbidden_rate", "citation_precision", "citation_recall", "refusal_precision", "refusal_recall")
RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "all_gold@10")


def selected_sets(set_name: str) -> tuple[str, ...]:
    """'all' -> every set; 'dev+swefaq' -> those two; a single name -> itself."""
    if set_name == "all":
        return BASE_SETS
    names = tuple(set_name.split("+"))
    if not names or any(n not in BASE_SETS for n in names) or len(set(names)) != len(names):
        raise ValueError(f"unknown eval set '{set_name}'; choose one of {', '.join(SETS)} (or sets joined by '+')")
    return names


def default_out_dir() -> Path:
    return REPORTS_DIR / dt.datetime.now().strftime("%Y%m%d-%H%M%S")


@contextmanager
def api_client(settings: Settings) -> Iterator:
    """The harness's client of the app over the index in `settings.home`, lifespan included."""
    with answer_eval.in_process_client(settings) as client:
        yield client


def _git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{rev}{'+dirty' if dirty else ''}" if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def flat_metrics(report: dict) -> dict[str, float | None]:
    """The names thresholds.toml refers to, e.g. 'retrieval.hybrid+filters.recall@5', 'answers.key_fact_accuracy'."""
    flat: dict[str, float | None] = {}
    retrieval = report.get("retrieval")
    if retrieval:
        for mode, summary in retrieval["ours"].items():
            for key in RETRIEVAL_KEYS:
                flat[f"retrieval.{mode}.{key}"] = summary.get(key)
        for key in RETRIEVAL_KEYS:
            flat[f"retrieval.baseline.{key}"] = retrieval["baseline"].get(key)
    answers = report.get("answers")
    if answers:
        for key in ANSWER_KEYS:
            flat[f"answers.{key}"] = answers["ours"].get(key)
            flat[f"answers.baseline.{key}"] = answers["baseline"].get(key)
    for set_name, parts in (report.get("splits") or {}).items():
        for part in PARTS:
            for key in ANSWER_KEYS:
                flat[f"answers.{set_name}.{part}.{key}"] = parts[part].get(key)
    real = report.get("real")
    if real:
        for key in ANSWER_KEYS:
            flat[f"answers.real.{key}"] = real["answers"].get(key)
        for mode, summary in real["retrieval"].items():
            for key in RETRIEVAL_KEYS:
                flat[f"retrieval.real.{mode}.{key}"] = summary.get(key)
        for part, summary in real["retrieval_parts"].items():
            for key in RETRIEVAL_KEYS:
                flat[f"retrieval.real.{part}.hybrid+filters.{key}"] = summary.get(key)
    swefaq = report.get("swefaq")
    if swefaq:
        for mode, summary in swefaq["modes"].items():
            for key in ("recall@1", "recall@5", "recall@10", "mrr@10", "mrr@10_gain"):
                flat[f"swefaq.{mode}.{key}"] = summary.get(key)
        for part, modes in swefaq.get("parts", {}).items():
            for mode in ("dense", "lexical", "hybrid"):
                for key in ("recall@5", "mrr@10"):
                    flat[f"swefaq.{part}.{mode}.{key}"] = modes[mode][key]
    return flat


def _item_details(
    items: list[EvalItem],
    records: dict[str, answer_eval.AnswerRecord],
    scores: dict[str, answer_eval.ItemScore],
    rankings: dict[str, dict[str, retrieval_eval.ItemRanking]],
    baseline_scores: dict[str, answer_eval.ItemScore] | None,
) -> list[dict]:
    details = []
    for item in items:
        record, score = records[item.id], scores[item.id]
        ranks = {mode: (by_id[item.id].first_rank if item.id in by_id else None) for mode, by_id in rankings.items()}
        problems = []
        if score.refusal_error:
            problems.append(score.refusal_error)
        if score.answerable and not score.refused and score.missing:
            problems.append("missing facts")
        if score.forbidden:
            problems.append("forbidden facts")
        if score.answerable and not score.refused and score.n_citations and not score.good_citations:
            problems.append("no citation covers a gold passage")
        hf = rankings.get("hybrid+filters", {}).get(item.id)
        details.append({
            "id": item.id,
            "kind": item.kind,
            "turns": list(item.turns),
            "answerable": item.answerable,
            "answer": record.answer,
            "grounded": record.grounded,
            "answerer": record.answerer,
            "earlier_turns": record.earlier,
            "resolved_question": record.resolved_question,
            "citations": [f"{c.document_id}: {' '.join(c.text.split())[:90]}…" for c in record.citations],
            "facts_ok": score.facts_ok,
            "missing": [list(m) for m in score.missing] if score.answerable else [],
            "forbidden": score.forbidden,
            "citations_covering_gold": f"{score.good_citations}/{score.n_citations}",
            "gold_covered": f"{score.gold_covered}/{score.n_gold}",
            "gold": [{"document_id": g.document_id, "quote": g.quote} for g in item.gold],
            "gold_rank": ranks,  # first rank (1-10) of a chunk covering gold, per retrieval mode; None = not in top 10
            "filters": hf.filters if hf else {},
            "retrieved": hf.top[:5] if hf else [],
            "problems": problems,
            "failed": bool(problems),
            "baseline_facts_ok": baseline_scores[item.id].facts_ok if baseline_scores else None,
            "notes": item.notes,
        })
    return details


def run_dev(
    client, settings: Settings, items: list[EvalItem], progress: Callable[[str], None], splits: Splits | None = None, path: Path = DEV_PATH
) -> dict:
    phases: dict[str, float] = {}

    def phase(name: str, started: float) -> None:
        phases[name] = round(time.perf_counter() - started, 2)
        progress(f"  {name}: {phases[name]:.1f} s")

    qa = client.app.state.qa
    if not qa.ready:
        raise RuntimeError(f"no index in {settings.home}; run `auditqa ingest` first")
    ours_rankings, records, ask_latencies = answer_eval.rank_and_ask(
        client, items, phase,
        lambda ids: RuntimeError(f"the index in {settings.home} lacks documents the dev set cites: {', '.join(ids)}; ingest the bundled corpus"),
    )
    started = time.perf_counter()
    search_latencies = answer_eval.search_all(client, items)
    phase("latency via /v1/search", started)

    started = time.perf_counter()
    baseline = LlamaIndexBaseline(settings.embed_model, corpus_texts(settings.corpus_dir if settings.corpus_dir.is_dir() else CORPUS_DIR)).build()
    phase("baseline build (LlamaIndex)", started)
    try:
        started = time.perf_counter()
        ranked, seconds = baseline.retrieve_all({item.id: item.question for item in items})
        baseline_rankings = retrieval_eval.baseline_rankings(baseline, items, ranked, seconds)
        baseline_records = []
        for item in items:
            body = baseline.answer(ranked[item.id])
            baseline_records.append(
                answer_eval.AnswerRecord(
                    item.id, body["answer"], body["grounded"],
                    [Retrieved(c["document_id"], c["text"]) for c in body["citations"]], body["answerer"],
                )
            )
        phase("baseline retrieval + answers", started)
        nodes = len(baseline.pool)
        build_s = baseline.build_seconds
    finally:
        baseline.close()

    ours_answers, ours_scores = answer_eval.score_answers(items, records)
    base_answers, base_scores = answer_eval.score_answers(items, baseline_records)
    by_mode = {mode: {r.item_id: r for r in rs} for mode, rs in ours_rankings.items()}
    baseline_seconds = [s * 1000 for s in seconds.values()]
    splits = splits or load_splits()
    part_of = {item.id: splits.dev_part(item) for item in items}
    details = _item_details(
        items, {r.item_id: r for r in records}, {s.item_id: s for s in ours_scores}, by_mode,
        {s.item_id: s for s in base_scores},
    )
    for detail in details:
        detail["part"] = part_of[detail["id"]]
    return {
        "splits": {"dev": {**answer_eval.part_summaries(items, ours_scores, part_of),
                           "n": {part: sum(1 for p in part_of.values() if p == part) for part in ("tune", "heldout")}}},
        "retrieval": {
            "ours": {mode: retrieval_eval.summarize(rs) for mode, rs in ours_rankings.items()},
            "baseline": retrieval_eval.summarize(baseline_rankings),
        },
        "answers": {"ours": ours_answers, "baseline": base_answers},
        "latency": {
            "/v1/search": answer_eval.latency_summary(search_latencies),
            "/v1/ask": answer_eval.latency_summary(ask_latencies),
            "baseline retrieve (in-process)": answer_eval.latency_summary(baseline_seconds),
        },
        "items": details,
        "baseline_config": {
            "pipeline": "LlamaIndex SentenceSplitter -> VectorStoreIndex(ChromaVectorStore) -> top-k dense; answer = top chunk",
            "chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP, "nodes": nodes, "build_s": round(build_s, 2),
        },
        "phases_s": phases,
        "dev": {
            "path": str(path), "items": len(items), "answerable": sum(i.answerable for i in items),
            "with_gold": sum(1 for i in items if i.answerable and i.gold),
            "chunks_ours": len(qa.retriever.view.records),
        },
    }


def run_eval(
    set_name: str,
    settings: Settings,
    out_dir: Path | None = None,
    *,
    client=None,
    thresholds: Path = THRESHOLDS_PATH,
    progress: Callable[[str], None] | None = None,
    items_path: Path = DEV_PATH,
) -> dict:
    """Run the chosen set(s), check the gates, write report.{md,json,html} into out_dir; return the report.

    `items_path`: the dev set's items, by default evals/dev.jsonl; another file of the same shape (the UI's feedback
    export) is run over the same corpus, its items marked for review skipped."""
    sets = selected_sets(set_name)
    progress = progress or (lambda message: log.info(message))
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    started_at = dt.datetime.now().astimezone()
    started, cpu_started = time.perf_counter(), time.process_time()
    report: dict = {
        "meta": {
            "set": set_name,
            "started": started_at.isoformat(timespec="seconds"),
            "git": _git_revision(),
            "model": str(settings.embed_model),
            "home": str(settings.home),
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "load_avg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(),
        }
    }
    gates = load_gates(thresholds)  # fail early on a malformed thresholds file
    splits = load_splits()
    if "swefaq" in sets:
        swefaq_dir(settings)  # fail early, like the real set
    real_items = None
    if "real" in sets:  # fail early, before the dev run, when the real reports are not there
        folder = real_reports_dir(settings)
        progress(f"real set: validating evals/real_reports.jsonl against {folder}")
        real_items = load_real_items(folder)
        check_real(splits, real_items, real_texts(folder))
    embedder = None
    if "dev" in sets:
        progress(f"dev set: validating {items_path}")
        items = load_items(items_path, CORPUS_DIR)
        to_review = [i.id for i in items if i.review]
        items = [i for i in items if not i.review]
        if to_review:
            progress(f"  {len(to_review)} items marked for review are not scored: {', '.join(to_review)}")
        if items_path == DEV_PATH:
            check_dev(splits, items)
        report["meta"]["items_to_review"] = to_review
        if client is None:
            with api_client(settings) as own_client:
                report.update(run_dev(own_client, settings, items, progress, splits, items_path))
                embedder = own_client.app.state.qa.embedder
        else:
            report.update(run_dev(client, settings, items, progress, splits, items_path))
            embedder = client.app.state.qa.embedder
    if real_items is not None:
        if embedder is None:
            from ingest.embedding import Embedder

            embedder = Embedder.from_settings(settings)
        real = run_real(settings, embedder, real_items, splits, progress, item_details=_item_details)
        report.setdefault("phases_s", {}).update(real.pop("phases_s"))
        report.setdefault("splits", {})["real"] = {**real["parts"], "n": real["set"]["n_by_part"]}
        report["real"] = real
    if "dev" in sets or "real" in sets:
        report["meta"]["splits"] = {"path": str(SPLITS_PATH), "digest": splits.digest()}
    if "swefaq" in sets:
        if embedder is None:
            from ingest.embedding import Embedder

            embedder = Embedder.from_settings(settings)
        step = time.perf_counter()
        report["swefaq"] = evaluate_swefaq(swefaq_dir(settings), embedder)
        report.setdefault("phases_s", {})["swefaq (4 modes)"] = round(time.perf_counter() - step, 2)
        progress(f"  swefaq: {report['phases_s']['swefaq (4 modes)']:.1f} s")
    report["metrics"] = flat_metrics(report)
    unknown = [g.metric for g in gates if g.metric not in report["metrics"]]
    if set(sets) == set(BASE_SETS) and unknown:
        raise ThresholdsError(f"{thresholds.name} gates metrics this run does not produce: {', '.join(unknown)}")
    applicable = [g for g in gates if g.metric in report["metrics"]]  # a single set checks its own gates
    report["gates"] = [r.as_dict() for r in check(applicable, report["metrics"])]
    report["meta"]["wall_s"] = round(time.perf_counter() - started, 2)
    report["meta"]["cpu_s"] = round(time.process_time() - cpu_started, 2)  # wall >> cpu/cores means a contended machine
    report["meta"]["load_avg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    report["meta"]["out_dir"] = str(out_dir)
    report["meta"]["files"] = {k: str(v) for k, v in write_reports(report, out_dir).items()}
    return report
