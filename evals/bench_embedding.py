"""Embedding throughput and latency of the local e5 model on the bundled corpus.

    python -m evals.bench_embedding [--window 200] [--batch-sizes 8 16 32] [--threads 1 2] [--queries 50]

Chunks are fixed windows of corpus words, close to what ingestion feeds the model. tokens/s counts the tokens the
model reads (padding excluded); the share of peak is the model's arithmetic at that rate over the fp32 matrix-multiply
rate measured on this machine first, with the same threads (what the cores can do at best right now, under whatever
else runs on them). The ingest part embeds the corpus's real chunks and sentence units the way ingest did before
(a few chunks and their units per call, so short sentences were padded to chunk length) and the way it does now (one
kind at a time, longest first), with the padded tokens of each. Peak memory is the process's maximum resident set
size, model load included.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from ingest.config import get_settings
from ingest.embedding import Embedder, passage_threads
from tools.model_build import build_model

QUERIES = [
    "Hur är mottagandet av ensamkommande barn organiserat?",
    "Vilka rekommendationer lämnar revisorerna?",
    "Hur följs integrationsarbetet upp?",
    "Vilken roll har arbetsmarknadsenheten?",
    "Hur samverkar kommunen med Arbetsförmedlingen?",
]


def corpus_windows(words_per_chunk: int) -> list[str]:
    chunks = []
    for path in sorted(get_settings().corpus_dir.glob("*.txt")):
        words = path.read_text(encoding="utf-8").split()
        chunks += [" ".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)]
    return chunks


def corpus_passages() -> list[tuple[str, list[str]]]:
    """Per chunk of the bundled corpus (as ingest makes them): its embedded text and its units' texts."""
    from ingest.documents.loading import DocumentLimits, load_document
    from ingest.documents.metadata import read_manifest, resolve_metadata
    from ingest.pipeline import discover, document_id_for
    from ingest.structure.chunking import SectionChunker, embedding_text, unit_contexts
    from ingest.structure.parsing import ReportParser

    settings = get_settings()
    manifest = read_manifest(settings.corpus_dir)
    parser, chunker = ReportParser(), SectionChunker(settings.chunk_min_words, settings.chunk_max_words)
    passages = []
    for path in discover(settings.corpus_dir):
        loaded = load_document(path, DocumentLimits.from_settings(settings))
        document_id = document_id_for(path)
        metadata = resolve_metadata(document_id, loaded.text, manifest, str(path))
        for chunk in chunker.run(document_id, parser.run(loaded.text)):
            units = [f"{c}\n{loaded.text[s:e]}" if c else loaded.text[s:e] for (s, e), c in zip(chunk.units, unit_contexts(chunk))]
            passages.append((embedding_text(chunk, metadata), units))
    return passages


def matmul_peak(threads: int, n: int = 1024, seconds: float = 2.0) -> float:
    """FLOP/s of fp32 n×n matrix products with `threads` torch threads, the best of repeated runs over `seconds`."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        for _ in range(4):
            a @ b
        best = max(best, 4 * 2 * n**3 / (time.perf_counter() - t0))
    return best


def flops_per_token(embedder: Embedder, mean_length: float) -> float:
    """Multiply-adds ×2 an encoder spends per token: the dense layers (4h² attention projections, 2hi feed-forward per
    layer) plus attention over a sequence of the mean length (QKᵀ and AV: 2·L·h per layer)."""
    import json

    config = json.loads((embedder.model_path / "config.json").read_text())
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    return 2 * layers * (4 * h * h + 2 * h * i + 2 * mean_length * h)


def padded_tokens(counts: list[int], batch_size: int, limit: int) -> int:
    """Tokens the model runs for texts of these lengths embedded in one call: longest first, in batches padded to their
    longest (as Embedder._encode does)."""
    ordered = sorted((min(n, limit) for n in counts), reverse=True)
    return sum(ordered[i] * len(ordered[i : i + batch_size]) for i in range(0, len(ordered), batch_size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_embedding", description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=200, help="words per chunk")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--threads", type=int, nargs="+", default=None, help="torch threads to compare (default: the rule's choice)")
    parser.add_argument("--queries", type=int, default=50, help="single-query calls for the latency median")
    parser.add_argument("--no-ingest", action="store_true", help="skip the ingest-shaped comparison")
    args = parser.parse_args(argv)

    settings = get_settings()
    started = time.perf_counter()
    embedder = Embedder(build_model(settings.embed_model), query_prefix=settings.query_prefix,
                        passage_prefix=settings.passage_prefix, batch_size=settings.embed_batch_size, threads=settings.embed_threads)
    embedder.warm_up()
    embedder.warm_up_passages()
    load_s = time.perf_counter() - started
    loaded_rss_mb = _peak_rss_mb()

    import torch

    cores = len(os.sched_getaffinity(0))
    threads_list = args.threads or [torch.get_num_threads()]
    chunks = corpus_windows(args.window)
    counts = [embedder.count_tokens(chunk) for chunk in chunks]
    limit = embedder.max_seq_length
    # tokens/s counts what the model actually runs: inputs beyond max_seq_length are truncated.
    tokens = sum(min(n, limit) for n in counts)
    truncated = sum(n > limit for n in counts)
    per_token = flops_per_token(embedder, tokens / len(chunks))
    print(f"model      {embedder.model_path} (dim {embedder.dimension}), loaded in {load_s:.1f} s")
    print(f"cpu        {cores} cores available, load average {os.getloadavg()[0]:.2f}; the thread rule picks {passage_threads()}"
          f" (AUDITQA_EMBED_THREADS={settings.embed_threads or 'unset'})")
    print(f"corpus     {len(chunks)} chunks of {args.window} words, {tokens} tokens "
          f"(mean {tokens / len(chunks):.0f}, {truncated} over {limit}); {per_token / 1e6:.1f} MFLOP a token")

    for threads in threads_list:
        peak = matmul_peak(threads)
        torch.set_num_threads(threads)
        embedder.embed_passages(chunks[: max(args.batch_sizes)])  # first-call allocations out of the timings
        print(f"threads    {threads}: fp32 matmul peak {peak / 1e9:.1f} GFLOP/s (load average {os.getloadavg()[0]:.2f})")
        print(f"{'batch':>5} {'chunks/s':>9} {'tokens/s':>9} {'padded':>7} {'of peak':>8} {'total s':>8}")
        for batch_size in args.batch_sizes:
            embedder.batch_size = batch_size
            t0 = time.perf_counter()
            embedder.embed_passages(chunks)
            elapsed = time.perf_counter() - t0
            padding = padded_tokens(counts, batch_size, limit) / tokens
            share = tokens * per_token / elapsed / peak
            print(f"{batch_size:>5} {len(chunks) / elapsed:>9.1f} {tokens / elapsed:>9.0f} {padding:>6.2f}× {share:>7.1%} {elapsed:>8.2f}")
        if not args.no_ingest:
            _ingest_shapes(embedder, settings.embed_batch_size, peak)

    latencies = []
    for i in range(args.queries):
        t0 = time.perf_counter()
        embedder.embed_query(QUERIES[i % len(QUERIES)])
        latencies.append(time.perf_counter() - t0)
    print(f"query      median {statistics.median(latencies) * 1000:.1f} ms over {args.queries} "
          f"(p90 {statistics.quantiles(latencies, n=10)[-1] * 1000:.1f} ms)")
    print(f"peak RSS   {_peak_rss_mb():.0f} MB ({loaded_rss_mb:.0f} MB once the model was loaded)")
    return 0


def _ingest_shapes(embedder: Embedder, batch_size: int, peak: float) -> None:
    """The corpus's chunks and units embedded as ingest did (4 chunks and their units a call) and as it does now."""
    passages = corpus_passages()
    limit = embedder.max_seq_length
    length = {t: min(embedder.count_tokens(t), limit) for c, units in passages for t in (c, *units)}
    real = sum(length[c] + sum(length[u] for u in units) for c, units in passages)
    mixed = [[c for c, _ in passages[i : i + 4]] + [u for _, units in passages[i : i + 4] for u in units] for i in range(0, len(passages), 4)]
    chunk_texts = [c for c, _ in passages]
    unit_texts = [u for _, units in passages for u in units]
    by_kind = [sorted(kind, key=len, reverse=True) for kind in (chunk_texts, unit_texts)]
    by_kind = [kind[i : i + 64] for kind in by_kind for i in range(0, len(kind), 64)]
    embedder.batch_size = batch_size
    per_token = flops_per_token(embedder, real / len(length))
    print(f"ingest     {len(chunk_texts)} chunks and {len(unit_texts)} units of the corpus, {real} tokens; batch {batch_size}")
    timings = {}
    for name, calls in (("mixed", mixed), ("by kind", by_kind)):
        padded = sum(padded_tokens([length[t] for t in call], batch_size, limit) for call in calls)
        t0 = time.perf_counter()
        for call in calls:
            embedder.embed_passages(call)
        timings[name] = elapsed = time.perf_counter() - t0
        print(f"  {name:<8} {elapsed:>7.2f} s {real / elapsed:>7.0f} tokens/s, padded {padded / real:.2f}× the real tokens,"
              f" {real * per_token / elapsed / peak:.1%} of peak")
    print(f"  by kind is {timings['mixed'] / timings['by kind']:.2f}× as fast")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


if __name__ == "__main__":
    raise SystemExit(main())
