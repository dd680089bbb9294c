"""Embedding throughput and latency of the local e5 model on the bundled corpus.

    python -m evals.bench_embedding [--window 200] [--batch-sizes 8 16 32] [--queries 50]

Chunks are fixed windows of corpus words, close to what ingestion feeds the model. Peak memory is
the process's maximum resident set size, model load included.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from ingest.config import get_settings
from ingest.embedding import Embedder
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_embedding", description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=200, help="words per chunk")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--queries", type=int, default=50, help="single-query calls for the latency median")
    args = parser.parse_args(argv)

    settings = get_settings()
    started = time.perf_counter()
    embedder = Embedder(build_model(settings.embed_model), query_prefix=settings.query_prefix,
                        passage_prefix=settings.passage_prefix)
    embedder.warm_up()
    load_s = time.perf_counter() - started
    loaded_rss_mb = _peak_rss_mb()

    import torch

    chunks = corpus_windows(args.window)
    counts = [embedder.count_tokens(chunk) for chunk in chunks]
    # tokens/s counts what the model actually runs: inputs beyond max_seq_length are truncated.
    tokens = sum(min(n, embedder.max_seq_length) for n in counts)
    truncated = sum(n > embedder.max_seq_length for n in counts)
    print(f"model      {embedder.model_path} (dim {embedder.dimension}), loaded in {load_s:.1f} s")
    print(f"cpu        {len(os.sched_getaffinity(0))} cores available, torch threads {torch.get_num_threads()}")
    print(f"corpus     {len(chunks)} chunks of {args.window} words, {tokens} tokens "
          f"(mean {tokens / len(chunks):.0f}, {truncated} over {embedder.max_seq_length})")

    embedder.embed_passages(chunks[: max(args.batch_sizes)])  # first-call allocations out of the timings
    print(f"{'batch':>5} {'chunks/s':>9} {'tokens/s':>9} {'total s':>8}")
    for batch_size in args.batch_sizes:
        embedder.batch_size = batch_size
        t0 = time.perf_counter()
        embedder.embed_passages(chunks)
        elapsed = time.perf_counter() - t0
        print(f"{batch_size:>5} {len(chunks) / elapsed:>9.1f} {tokens / elapsed:>9.0f} {elapsed:>8.2f}")

    latencies = []
    for i in range(args.queries):
        t0 = time.perf_counter()
        embedder.embed_query(QUERIES[i % len(QUERIES)])
        latencies.append(time.perf_counter() - t0)
    print(f"query      median {statistics.median(latencies) * 1000:.1f} ms over {args.queries} "
          f"(p90 {statistics.quantiles(latencies, n=10)[-1] * 1000:.1f} ms)")
    print(f"peak RSS   {_peak_rss_mb():.0f} MB ({loaded_rss_mb:.0f} MB once the model was loaded)")
    return 0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


if __name__ == "__main__":
    raise SystemExit(main())
