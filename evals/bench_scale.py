"""Benchmark (not a test): auditqa at growing corpus sizes, on generated reports beside the bundled ones.

    python -m evals.bench_scale [--sizes 5 100 1000] [--real-up-to 100] [--requests 20] [--json PATH] [--plot PATH]
                                [--homes DIR] [--serve-only]

A size counts reports: the five bundled ones plus generated ones (evals/corpus_generator.py) up to it, each size
ingested into a fresh throwaway home, or kept in --homes DIR and reused from there by a later run (the ingest of
1,000 reports takes minutes; --serve-only then measures only the server over it). Printed per size:
- ingest time split by stage (file reading, the vector-reuse lookup, the model, Chroma writes, the catalog switch,
  findings, BM25, cleanup, the rest: parsing and chunking), with tokens/s and the share of the fp32 matmul peak
  measured here (evals/bench_embedding.py);
- the index's size on disk, `auditqa serve`'s start-up to a healthy /healthz and its resident memory (now and peak);
- /v1/search and /v1/ask p50/p95/p99 for single-report, across-reports and list questions, one client, sequential;
- an unchanged re-ingest, and adding one report (total, and bookkeeping: the total less the model's time);
- retrieval quality on the dev set (evals/dev.jsonl) with the generated reports as distractors.

Above --real-up-to reports the generated reports are embedded by a STAND-IN (a pseudo-random vector per text, of
the real model's dimension): embedding them for real would take hours on a CPU. The bundled reports and every
query always use the real model. The stand-in's dense hits are noise, so at those sizes the distractors compete
in the lexical ranking only, and the answers about generated reports are not meaningful; the latencies are (Chroma
searches random vectors no faster than real ones).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

from evals.bench_api import percentile, served
from evals.corpus_generator import generate, write_corpus
from ingest.config import PROJECT_ROOT, Settings
from ingest.embedding import Embedder

CORPUS = PROJECT_ROOT / "corpus"
BUNDLED = 5
ACROSS = ["I vilka kommuner nämns Röda korset?", "Vilka kommuner har granskat elevhälsan?", "Hur har kommunerna följt upp den interna kontrollen?"]
LISTS = ["Vilka kontrollmål bedömdes ej uppfyllda?", "Vilka rekommendationer har revisorerna lämnat?"]
BUNDLED_SINGLE = ["Hur många platser har sysselsättningsavdelningen i Luleå?", "Vem var uppdragsledare för granskningen i Alvesta?"]
STAGES = ("read files + plan", "reuse lookup", "embedding (model)", "vectors to Chroma", "catalog switch", "findings", "cleanup", "BM25")


class StandInEmbedder:
    """The labelled stand-in for the passage model (see the module's doc): a unit vector drawn from the text's hash."""

    model_name = "stand-in-random-vectors"
    passage_prefix = "passage: "

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension

    def warm_up(self) -> None:
        """Nothing to load."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest())).standard_normal(self.dimension)
                for t in texts]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(1e-9)


class StageClock:
    """Seconds spent in each timed method of an Ingestor, and the real tokens the model embedded."""

    def __init__(self, count_tokens=None) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.tokens = 0
        self.count_tokens = count_tokens
        self._timed: list[tuple[object, str, object | None]] = []

    def time(self, owner, method: str, stage: str) -> None:
        original = getattr(owner, method)
        self._timed.append((owner, method, vars(owner).get(method)))

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started
                if stage == "embedding (model)" and self.count_tokens:
                    self.tokens += sum(self.count_tokens(t) for t in args[0])

        setattr(owner, method, timed)

    def release(self) -> None:
        """Untime the methods (the embedder outlives an ingest: a later clock must not time this one's counting)."""
        for owner, method, own in reversed(self._timed):
            if own is None:
                delattr(owner, method)
            else:
                setattr(owner, method, own)
        self._timed.clear()

    def instrument(self, ingestor) -> None:
        for owner, method, stage in (
            (ingestor, "plan", "read files + plan"), (ingestor, "_stored_vectors", "reuse lookup"),
            (ingestor.embedder, "embed_passages", "embedding (model)"), (ingestor.store, "add_versions", "vectors to Chroma"),
            (ingestor.catalog, "activate", "catalog switch"), (ingestor.extractor, "run", "findings"),
            (ingestor.findings, "replace", "findings"), (ingestor, "collect_stale", "cleanup"), (ingestor, "refresh_lexical", "BM25"),
        ):
            self.time(owner, method, stage)


def ingest(settings: Settings, embedder, folders: list[Path], clock: StageClock | None = None) -> tuple[float, StageClock]:
    """Ingest the folders in turn with a fresh Ingestor (as a CLI run would); wall seconds and the stage clock."""
    from ingest.pipeline import Ingestor

    ingestor = Ingestor(settings, embedder)
    clock = clock or StageClock()
    clock.instrument(ingestor)
    started = time.perf_counter()
    try:
        for folder in folders:
            report = ingestor.run(folder)
            if report.failed:
                raise RuntimeError(f"ingest failed: {report.failed}")
    finally:
        clock.release()
    return time.perf_counter() - started, clock


def _model_tokens(embedder: Embedder, limit: int, text: str) -> int:
    return min(embedder.count_tokens(text), limit)


def size_on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size if path.exists() else 0


def memory_mb(pid: int) -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def cpu_s(pid: int) -> float:
    """CPU seconds (user and system) a process has used: on a machine shared with other work, its start-up's cost
    apart from the wait for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def questions(generated: list) -> dict[str, list[str]]:
    places = [r.municipality for r in generated[:3]]
    single = [q for m in places for q in (f"Vilka kontrollmål bedömdes ej uppfyllda i {m}?", f"Vilka rekommendationer gavs i {m}?")]
    return {"single report": [*single, *BUNDLED_SINGLE], "across reports": ACROSS, "list": LISTS}


def latencies(base: str, asked: dict[str, list[str]], requests: int, cap_s: float) -> dict:
    """Per question type and endpoint: p50/p95/p99 ms over up to `requests` sequential calls (fewer past `cap_s`)."""
    out = {}
    with httpx.Client(base_url=base, timeout=600) as client:
        for kind, texts in asked.items():
            for path in ("/v1/search", "/v1/ask"):
                client.post(path, json={"query": texts[0]} if path == "/v1/search" else {"question": texts[0]})  # warm-up
                samples, sizes, deadline = [], [], time.perf_counter() + cap_s
                for n in range(requests):
                    text = texts[n % len(texts)]
                    started = time.perf_counter()
                    response = client.post(path, json={"query": text, "top_k": 10} if path == "/v1/search" else {"question": text})
                    samples.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    sizes.append(len(response.content))
                    if time.perf_counter() > deadline:
                        break
                out[f"{path} {kind}"] = {
                    **{f"p{q}": round(percentile(samples, q / 100), 1) for q in (50, 95, 99)}, "max": round(max(samples), 1), "n": len(samples),
                    "kb": round(statistics.mean(sizes) / 1000, 1),
                }
    return out


def quality(settings: Settings, embedder: Embedder) -> dict:
    from evals.dataset import load_items
    from evals.retrieval_eval import product_rankings, summarize
    from service.answering.qa import QAService

    qa = QAService(settings, embedder)
    qa.warm_up()
    rankings = product_rankings(qa, load_items())
    return {mode: {k: round(summarize(r)[k], 3) for k in ("recall@1", "recall@5", "mrr@10")} for mode, r in rankings.items()}


def run_size(size: int, args, embedder: Embedder, peak: float, per_token: float, scratch: Path) -> dict:
    home, generated_dir = scratch / f"home-{size}", scratch / f"generated-{size}"
    settings = Settings(home=home)
    count = max(size - BUNDLED, 0)
    reused = (home / "ingested").exists()
    generated = write_corpus(generated_dir, count, args.seed) if count else []
    stand_in = size > args.real_up_to
    corpus_embedder = StandInEmbedder(embedder.dimension) if stand_in else embedder
    result: dict = {"size": size, "generated": count, "stand_in": stand_in, "reused_home": reused}
    if not reused:
        shutil.rmtree(home, ignore_errors=True)
        result.update(ingest_size(settings, embedder, corpus_embedder, generated_dir, count, peak, per_token))
        # Written last: a home whose ingest was interrupted is not reused.
        (home / "ingested").touch()
    result["disk_mb"] = {name: round(size_on_disk(home / name) / 1e6, 1) for name in ("chroma", "catalog.sqlite3", "units.sqlite3", "lexical")}
    with served(home, scratch / f"server-{size}.log") as (base, server, start_s):
        result["start_s"] = round(start_s, 2)
        result["start_cpu_s"] = round(cpu_s(server.pid), 2)
        result["latency_ms"] = latencies(base, questions(generated), args.requests, args.type_seconds)
        result["server_mb"] = {k: round(v) for k, v in memory_mb(server.pid).items()}
    if args.serve_only:
        return result
    # Each folder with the embedder it was ingested with: the model is part of a document's content hash.
    result["reingest_unchanged_s"] = round(
        ingest(settings, embedder, [CORPUS])[0] + (ingest(settings, corpus_embedder, [generated_dir])[0] if count else 0.0), 2
    )
    (home / "ingested").unlink(missing_ok=True)  # the home is no longer the size's once a report is added
    write_corpus(generated_dir, count + 1, args.seed)
    total, added = ingest(settings, corpus_embedder, [generated_dir])
    result["add_one_s"] = {"total": round(total, 2), "bookkeeping": round(total - added.seconds["embedding (model)"], 2)}
    result["add_one_stages_s"] = {s: round(added.seconds.get(s, 0.0), 2) for s in STAGES}
    if size <= args.quality_up_to:
        result["dev_retrieval"] = quality(settings, embedder)
    return result


def ingest_size(settings: Settings, embedder: Embedder, corpus_embedder, generated_dir: Path, count: int, peak: float,
                per_token: float) -> dict:
    """Ingest the bundled reports (the real model), then the generated ones; the time split by stage."""
    tokens = functools.partial(_model_tokens, embedder, embedder.max_seq_length)
    seconds, clock = ingest(settings, embedder, [CORPUS], StageClock(tokens))
    result: dict = {"bundled_ingest_s": round(seconds, 1)}
    # The split is of the generated reports' ingest where there are any, else of the bundled ones'.
    if count:
        real = corpus_embedder is embedder
        seconds, clock = ingest(settings, corpus_embedder, [generated_dir], StageClock(tokens if real else None))
    result["ingest_s"] = round(seconds, 1)
    result["stages_s"] = {**{s: round(clock.seconds.get(s, 0.0), 2) for s in STAGES}, "parse, chunk, other": round(seconds - sum(clock.seconds.values()), 2)}
    model_s = clock.seconds["embedding (model)"]
    if clock.tokens and model_s:
        result["tokens_per_s"] = round(clock.tokens / model_s)
        result["share_of_peak"] = round(clock.tokens * per_token / model_s / peak, 3)
    return result


def print_result(r: dict) -> None:
    label = f"{r['size']} reports ({BUNDLED} bundled + {r['generated']} generated" + (", generated ones embedded by the STAND-IN)" if r["stand_in"] else ")")
    print(f"\n== {label}", flush=True)
    what = "the generated reports" if r["generated"] else "the bundled reports"
    if r["reused_home"]:
        print("ingest: none, the home of an earlier run was reused")
    else:
        print(f"ingest of {what}: {r['ingest_s']} s" + (f"; the bundled ones first: {r['bundled_ingest_s']} s" if r["generated"] else ""))
        for stage, s in r["stages_s"].items():
            print(f"  {stage:<22} {s:>8.2f} s {s / r['ingest_s']:>6.1%}")
    if r.get("tokens_per_s"):
        print(f"  model: {r['tokens_per_s']} tokens/s, {r['share_of_peak']:.0%} of the fp32 matmul peak measured")
    print(f"on disk: {r['disk_mb']} MB; server start-up {r['start_s']} s ({r['start_cpu_s']} CPU s), memory {r['server_mb']['VmRSS']} MB (peak {r['server_mb']['VmHWM']} MB)")
    print(f"{'endpoint and questions':<30} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'n':>4} {'KB':>7}")
    for name, f in r["latency_ms"].items():
        print(f"{name:<30} {f['p50']:>8.1f} {f['p95']:>8.1f} {f['p99']:>8.1f} {f.get('max', f['p99']):>8.1f} {f['n']:>4} {f['kb']:>7.1f}")
    if "reingest_unchanged_s" not in r:
        return
    print(f"re-ingest unchanged: {r['reingest_unchanged_s']} s; add one report: {r['add_one_s']['total']} s "
          f"({r['add_one_s']['bookkeeping']} s besides the model: " + ", ".join(f"{k} {v:g} s" for k, v in r["add_one_stages_s"].items() if v and k != "embedding (model)") + ")")
    for mode, figures in r.get("dev_retrieval", {}).items():
        print(f"dev retrieval {mode:<15} " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


def plot(results: list[dict], path: Path) -> None:
    """Latency p50 against corpus size, log-log, as a self-contained SVG (no plotting library needed)."""
    import math

    series = [name for name in results[0]["latency_ms"]]
    width, height, left, bottom, top, right = 720, 420, 70, 50, 20, 240
    sizes = [r["size"] for r in results]
    values = [r["latency_ms"][s]["p50"] for r in results for s in series]
    x0, x1 = math.log10(min(sizes)), math.log10(max(sizes)) + 1e-9
    y0, y1 = math.floor(math.log10(max(min(values), 1))), math.ceil(math.log10(max(values)))
    y1 = max(y1, y0 + 1)

    def x(v):
        return left + (math.log10(v) - x0) / (x1 - x0) * (width - left - right)

    def y(v):
        return height - bottom - (math.log10(max(v, 1)) - y0) / (y1 - y0) * (height - top - bottom)

    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for e in range(y0, y1 + 1):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(10**e):.1f}" y2="{y(10**e):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y(10**e) + 4:.1f}" text-anchor="end">{10**e:g} ms</text>')
    for s in sizes:
        out.append(f'<text x="{x(s):.1f}" y="{height - bottom + 18}" text-anchor="middle">{s:,}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">reports (p50, one client; log scales)</text>')
    for i, name in enumerate(series):
        colour = colours[i % len(colours)]
        dash = "" if name.startswith("/v1/ask") else ' stroke-dasharray="5,3"'
        points = " ".join(f"{x(r['size']):.1f},{y(r['latency_ms'][name]['p50']):.1f}" for r in results)
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{width - right + 10}" y="{top + 16 + 18 * i}" fill="{colour}">{name}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from evals.bench_embedding import flops_per_token, matmul_peak

    parser = argparse.ArgumentParser(prog="python -m evals.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 100, 1000], help="corpus sizes in reports (at least 5)")
    parser.add_argument("--real-up-to", type=int, default=100, help="largest size whose generated reports the real model embeds")
    parser.add_argument("--quality-up-to", type=int, default=100, help="largest size whose dev-set retrieval is measured")
    parser.add_argument("--requests", type=int, default=20, help="requests per endpoint and question type")
    parser.add_argument("--type-seconds", type=float, default=120, help="stop a question type's requests after this many seconds")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", type=Path, help="results file: read, updated with these sizes, written back")
    parser.add_argument("--plot", type=Path, help="write the latency-against-size SVG here (sizes of the results file too)")
    parser.add_argument("--homes", type=Path, help="keep each size's home here, and reuse one an earlier run completed")
    parser.add_argument("--serve-only", action="store_true",
                        help="measure only the server (start-up, memory, latencies): no re-ingest, no added report, no dev retrieval")
    args = parser.parse_args(argv)
    if min(args.sizes) < BUNDLED:
        parser.error(f"sizes start at the {BUNDLED} bundled reports")

    settings = Settings()
    embedder = Embedder.from_settings(settings)
    embedder.warm_up()
    embedder.warm_up_passages()
    import torch

    peak = matmul_peak(torch.get_num_threads())
    sample = [t for r in generate(20) for t in r.text.split("\n\n")[:40]]
    per_token = flops_per_token(embedder, statistics.mean(min(embedder.count_tokens(t), embedder.max_seq_length) for t in sample))
    print(f"machine: {len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}, {torch.get_num_threads()} torch "
          f"threads, fp32 matmul peak {peak / 1e9:.0f} GFLOP/s", flush=True)
    stored = json.loads(args.json.read_text()) if args.json and args.json.exists() else {}
    with tempfile.TemporaryDirectory(prefix="auditqa-scale-") as throwaway:
        scratch = args.homes or Path(throwaway)
        scratch.mkdir(parents=True, exist_ok=True)
        for size in sorted(args.sizes):
            result = run_size(size, args, embedder, peak, per_token, scratch)
            result["load_average"] = round(os.getloadavg()[0], 2)
            print_result(result)
            stored[str(size)] = result
            if args.json:
                args.json.write_text(json.dumps(stored, ensure_ascii=False, indent=1))
            if not args.homes:
                shutil.rmtree(scratch / f"home-{size}", ignore_errors=True)
    if args.plot:
        plot([stored[k] for k in sorted(stored, key=int)], args.plot)
        print(f"\nplot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
