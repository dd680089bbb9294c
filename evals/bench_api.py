"""Benchmark (not a test): API latency, warm, one client, and server start-to-healthy time.

Usage: `python -m evals.bench_api` over the index in AUDITQA_HOME (build it with `auditqa ingest`).
Prints p50/p95 for POST /v1/ask and POST /v1/search and the seconds from process start to a healthy /healthz.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

QUESTIONS = [
    "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?",
    "Hur många platser har sysselsättningsavdelningen i Luleå?",
    "Vilka rekommendationer gavs i Hultsfred?",
    "Hur samverkar Umeå kommun med civilsamhället?",
    "Vad var revisionsfrågan i Hultsfred?",
    "När beslutade kommunfullmäktige i Kalmar om handlingsplanen för integration?",
    "Hur många flyktingar tog Göteborg emot 2017?",
    "Vilka brister fanns i uppföljningen av flyktingverksamheten?",
    "Vem var uppdragsledare för granskningen i Alvesta?",
    "Vad kostade åtgärdskatalogen i Hultsfred?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def main() -> int:
    port = _free_port()
    auditqa = str(Path(sys.executable).parent / "auditqa")
    started = time.perf_counter()
    # Latency, not throttling, is measured: the server runs without the per-minute rate limit.
    env = {**os.environ, "AUDITQA_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen([auditqa, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                try:
                    health = client.get("/healthz")
                    if health.status_code == 200:
                        break
                    if health.status_code == 503:
                        print("index missing: run `auditqa ingest` first", file=sys.stderr)
                        return 1
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 120:
                    print("server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            start_s = time.perf_counter() - started
            for question in QUESTIONS:  # warm-up
                client.post("/v1/ask", json={"question": question})
            ask, search = [], []
            for _ in range(5):
                for question in QUESTIONS:
                    t = time.perf_counter()
                    client.post("/v1/ask", json={"question": question}).raise_for_status()
                    ask.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    client.post("/v1/search", json={"query": question, "top_k": 10}).raise_for_status()
                    search.append(time.perf_counter() - t)
            figures = {"start_to_healthy_s": round(start_s, 2), "health": health.json()}
        print(f"server start to healthy: {start_s:.2f} s")
        print(f"POST /v1/ask:    {_percentiles(ask)}")
        print(f"POST /v1/search: {_percentiles(search)}")
        print(json.dumps(figures))
        return 0
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
