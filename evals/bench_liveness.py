"""How a dense query's cost depends on the way liveness is enforced, on a real Chroma (PersistentClient) holding
`--documents` reports of `--chunks` chunks: the `content_hash $in [every live hash]` filter the retriever used,
against no filter with over-fetch (the retriever drops the rare non-live hit itself), and the filters that stay
(access groups, a municipality). Prints the median and p95 per variant.

    python -m evals.bench_liveness --documents 1000 --chunks 17
"""

import argparse
import statistics
import tempfile
import time

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from ingest.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=17, help="chunks per document")
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    settings = Settings()
    rng = np.random.default_rng(15)
    with tempfile.TemporaryDirectory() as path:
        client = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.create_collection(
            "bench", embedding_function=None,
            configuration={"hnsw": {"space": "cosine", "ef_construction": settings.hnsw_ef_construction,
                                    "ef_search": settings.hnsw_ef_search, "max_neighbors": settings.hnsw_max_neighbors}},
        )
        hashes = [f"{d:064x}" for d in range(args.documents)]
        started = time.perf_counter()
        for first in range(0, args.documents, 50):
            ids, vectors, metas = [], [], []
            for d in range(first, min(first + 50, args.documents)):
                for c in range(args.chunks):
                    ids.append(f"doc{d}-c{c}@{hashes[d][:16]}")
                    metas.append({"document_id": f"doc{d}", "content_hash": hashes[d], "chunk_id": f"doc{d}-c{c}",
                                  "municipality": f"Kommun{d % 290}", "year": 2010 + d % 14,
                                  "access": ["grupp-a"] if d % 10 == 0 else ["public"]})
            vectors = rng.standard_normal((len(ids), args.dimension)).astype(np.float32)
            collection.add(ids=ids, embeddings=vectors, metadatas=metas)
        print(f"{collection.count()} chunks of {args.documents} documents stored in {time.perf_counter() - started:.0f} s")
        queries = rng.standard_normal((args.queries, args.dimension)).astype(np.float32)
        variants = {
            "content_hash $in every live hash, k=40": (40, {"content_hash": {"$in": hashes}}),
            "no filter, k=40": (40, None),
            "no filter, k=80 (over-fetch 2x)": (80, None),
            "no filter, k=160 (over-fetch 4x)": (160, None),
            "access $contains (restricted caller), k=80": (80, {"$or": [{"access": {"$contains": "public"}}, {"access": {"$contains": "grupp-a"}}]}),
            "municipality $in [one], k=80": (80, {"municipality": {"$in": ["Kommun7"]}}),
        }
        print(f"{'variant':<48} {'p50 ms':>8} {'p95 ms':>8}")
        for name, (k, where) in variants.items():
            times = []
            for vector in queries:
                start = time.perf_counter()
                collection.query(query_embeddings=[vector], n_results=k, where=where, include=["distances", "metadatas"])
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            print(f"{name:<48} {statistics.median(times):8.1f} {times[int(0.95 * (len(times) - 1))]:8.1f}")


if __name__ == "__main__":
    main()
