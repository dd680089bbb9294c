"""Benchmark (not a test): the API under load, on loopback against a real `auditqa serve`.

Usage: `python -m evals.bench_api [--duration 30] [--clients 1,8,32] [--home DIR]` (`make bench` runs it).
Without --home the bundled corpus is ingested into a throwaway home first (an upload during the run changes the
index, so it never runs over the one `make run` built). Per level of concurrent clients, each client sends
/v1/search and /v1/ask in turn, over one keep-alive connection, for `duration` seconds; printed: throughput and
p50/p95/p99 latency of the answered (200) requests, and the count of each status. During the 8-client level one client uploads a fixture report
with `POST /v1/documents?wait=true`, and its status and seconds are printed too. Also printed: server start to a
healthy /healthz.

The server runs without the per-minute rate limit (AUDITQA_RATE_LIMIT_PER_MINUTE=0: capacity, not throttling, is
measured) and with its admission control as configured: beyond AUDITQA_MAX_CONCURRENT_QUERIES queries at once
(2 × cores) a query waits up to AUDITQA_QUERY_QUEUE_TIMEOUT_S and is then refused with 503 + Retry-After; those are
counted apart from errors, which are anything else that is not 200/201.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ingest.config import PROJECT_ROOT

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
UPLOAD = PROJECT_ROOT / "tests" / "fixtures" / "reports" / "vaxjo-2019-forstudie-ensamkommande.txt"
# Admission control's refusal: expected under load beyond the query limit, and not an error.
SHED = 503


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples: list[float], q: float) -> float:
    """Nearest rank: the smallest sample with at least q of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


@dataclass
class Level:
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    upload: str | None = None

    def line(self) -> str:
        ok = self.statuses[200]
        shed = self.statuses[SHED]
        errors = sum(n for s, n in self.statuses.items() if s not in (200, SHED))
        ms = [x * 1000 for x in self.latencies]
        return (
            f"{self.clients:>2} clients: {len(ms) / self.seconds:6.1f} req/s, p50 {percentile(ms, .5):6.1f} ms, "
            f"p95 {percentile(ms, .95):6.1f} ms, p99 {percentile(ms, .99):6.1f} ms; n={len(ms)}, 200: {ok}, "
            f"503 (admission): {shed}, errors: {errors}; statuses {dict(sorted(self.statuses.items()))}"
        )


def _client(base: str, index: int, deadline: float, level: Level, lock: threading.Lock) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        n = index
        while time.perf_counter() < deadline:
            question = QUESTIONS[n % len(QUESTIONS)]
            path, body = ("/v1/search", {"query": question, "top_k": 10}) if n % 2 else ("/v1/ask", {"question": question})
            n += 1
            started = time.perf_counter()
            try:
                status = client.post(path, json=body).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            took = time.perf_counter() - started
            with lock:
                level.statuses[status] += 1
                if status == 200:
                    level.latencies.append(took)


def _upload(base: str, level: Level) -> None:
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=600) as client:
        response = client.post(
            "/v1/documents", params={"wait": "true", "replace": "true"}, files={"file": (UPLOAD.name, UPLOAD.read_bytes(), "text/plain")}
        )
    body = response.json()
    level.upload = f"{response.status_code} in {time.perf_counter() - started:.1f} s ({body.get('chunks', body.get('detail'))} chunks)"


def run_level(base: str, clients: int, duration_s: float, with_upload: bool) -> Level:
    level = Level(clients)
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + duration_s
    threads = [threading.Thread(target=_client, args=(base, i, deadline, level, lock)) for i in range(clients)]
    uploader = threading.Thread(target=_upload, args=(base, level))
    if with_upload:
        uploader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.seconds = max(time.perf_counter() - started, duration_s)
    if with_upload:
        uploader.join()  # on a short run it may outlast the clients; their throughput is over their own time
        if time.perf_counter() > deadline + 1:
            level.upload = f"{level.upload}, finished after the clients"
    return level


def _ingested_home(folder: Path, auditqa: str) -> Path:
    home = folder / "home"
    started = time.perf_counter()
    subprocess.run([auditqa, "ingest"], env={**os.environ, "AUDITQA_HOME": str(home)}, check=True, stdout=subprocess.DEVNULL)
    print(f"ingested the bundled corpus into a throwaway home in {time.perf_counter() - started:.0f} s", flush=True)
    return home


@contextmanager
def served(home: Path, log_path: Path, start_limit_s: float = 120) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """`auditqa serve` over `home` on a free loopback port without the rate limit: (base URL, process, seconds from
    start to a healthy /healthz); stopped afterwards. Raises RuntimeError when it is not up within `start_limit_s`."""
    auditqa = str(Path(sys.executable).parent / "auditqa")
    port = _free_port()
    env = {**os.environ, "AUDITQA_HOME": str(home), "AUDITQA_RATE_LIMIT_PER_MINUTE": "0"}
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        server = subprocess.Popen([auditqa, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            yield base, server, _healthy(base, server, started, start_limit_s)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # still building its index: SIGTERM waits for the lifespan
                server.kill()
                server.wait()


def _healthy(base: str, server: subprocess.Popen, started: float, limit_s: float) -> float:
    with httpx.Client(base_url=base, timeout=30) as client:
        while True:
            try:
                health = client.get("/healthz")
                if health.status_code == 200:
                    return time.perf_counter() - started
                if health.status_code == 503 and health.json().get("status") == "no_index":
                    raise RuntimeError("index missing: run `auditqa ingest` first")
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.perf_counter() - started > limit_s:
                raise RuntimeError("server did not start")
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_api", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds per level (default 30)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients per level, comma-separated (default 1,8,32)")
    parser.add_argument("--upload-at", type=int, default=8, help="the level during which a report is uploaded (default 8)")
    parser.add_argument("--home", type=Path, help="an AUDITQA_HOME with an index (default: a throwaway one, ingested)")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.clients.split(",")]
    auditqa = str(Path(sys.executable).parent / "auditqa")
    with tempfile.TemporaryDirectory(prefix="auditqa-bench-") as scratch:
        home = args.home or _ingested_home(Path(scratch), auditqa)
        try:
            with served(home, Path(scratch) / "server.log") as (base, _, start_s):
                return _measure(base, start_s, levels, args)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1


def _measure(base: str, start_s: float, levels: list[int], args: argparse.Namespace) -> int:
    with httpx.Client(base_url=base, timeout=30) as client:
        for question in QUESTIONS:  # warm-up
            client.post("/v1/ask", json={"question": question})
            client.post("/v1/search", json={"query": question})
    print(f"server start to healthy: {start_s:.2f} s", flush=True)
    print(f"mixed /v1/search and /v1/ask, {args.duration:g} s per level, {os.cpu_count()} cores (clients share them with the server):", flush=True)
    figures = {"start_to_healthy_s": round(start_s, 2), "levels": []}
    for clients in levels:
        level = run_level(base, clients, args.duration, with_upload=clients == args.upload_at)
        print(level.line() + (f"; upload during the run: {level.upload}" if level.upload else ""), flush=True)
        figures["levels"].append({
            "clients": clients, "rps": round(len(level.latencies) / level.seconds, 1),
            **{f"p{int(q * 100)}_ms": round(percentile(level.latencies, q) * 1000, 1) for q in (.5, .95, .99)},
            "statuses": {str(k): v for k, v in level.statuses.items()}, "upload": level.upload,
        })
    print(json.dumps(figures))
    errors = sum(n for level in figures["levels"] for s, n in level["statuses"].items() if s not in ("200", str(SHED)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
