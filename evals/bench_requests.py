"""Per-request costs that should not grow with the corpus: the documents list and one document, the OpenAI-compatible
follow-up suggestions, a question kept in a conversation, and the questions over every report's metadata ("Vilken
rapport är äldst?", a firm's reports). Starts `auditqa serve` over a home (use a copy: a conversation is written) and
prints p50/p95 per request type, with the load average.

    python -m evals.bench_requests --home DIR [--requests 30]
"""

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from evals.bench_api import percentile, served

FOLLOW_UPS = (
    "### Task:\nSuggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next in this conversation.\n"
    '### Output:\nJSON format: { "follow_ups": ["Question 1?", "Question 2?"] }\n### Chat History:\n<chat_history>\nUSER: {question}\n'
    "ASSISTANT: …\n</chat_history>"
)


def timed(client: httpx.Client, n: int, request) -> tuple[list[float], int]:
    """Milliseconds of `n` calls of request(client, i), and the size of the last response's body."""
    times, size = [], 0
    for i in range(n):
        started = time.perf_counter()
        response = request(client, i)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return times, size


def row(name: str, times: list[float], size: int) -> str:
    return f"{name:<48} p50 {statistics.median(times):8.1f} ms  p95 {percentile(times, 95):8.1f} ms  {size / 1000:9.1f} KB"


def follow_ups(question: str):
    prompt = FOLLOW_UPS.replace("{question}", question)
    return lambda c, _: c.post("/v1/chat/completions", json={"model": "auditqa-extractive", "messages": [{"role": "user", "content": prompt}]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_requests", description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="an AUDITQA_HOME with an index (a copy: a conversation is kept in it)")
    parser.add_argument("--requests", type=int, default=30, help="requests per type (default 30)")
    args = parser.parse_args(argv)
    n = args.requests
    log = Path(tempfile.mkdtemp(prefix="bench-requests-")) / "server.log"
    with served(args.home, log, start_limit_s=600) as (base, _, start_s), httpx.Client(base_url=base, timeout=300) as client:
        print(f"home {args.home}; start-up {start_s:.1f} s; load average before {os.getloadavg()}")
        listed = client.get("/v1/documents").json()
        ids = [d["document_id"] for d in listed["documents"]]
        municipality = next(d["municipality"] for d in listed["documents"] if d["municipality"])
        picked = random.Random(15).sample(ids, min(n, len(ids)))
        rows = [
            row("GET /v1/documents", *timed(client, n, lambda c, _: c.get("/v1/documents"))),
            row("GET /v1/documents?limit=20&offset=…", *timed(client, n, lambda c, i: c.get("/v1/documents", params={"limit": 20, "offset": 20 * i}))),
            row("GET /v1/documents/{id}", *timed(client, len(picked), lambda c, i: c.get(f"/v1/documents/{picked[i]}"))),
            row(f"follow-ups, a municipality named ({municipality})", *timed(client, n, follow_ups(f"Vilka kontrollmål bedömdes ej uppfyllda i {municipality}?"))),
            row("follow-ups, none named", *timed(client, n, follow_ups("Vilka kontrollmål bedömdes ej uppfyllda i rapporterna?"))),
        ]
        question = f"Vilka rekommendationer gavs i {municipality}?"
        first = client.post("/v1/ask", json={"question": question, "conversation": True}).json()
        conversation = first["conversation_id"]
        rows += [
            row("/v1/ask, not kept", *timed(client, n, lambda c, _: c.post("/v1/ask", json={"question": question}))),
            row("/v1/ask, kept in a conversation", *timed(client, n, lambda c, _: c.post("/v1/ask", json={"question": question, "conversation_id": conversation}))),
            row("/v1/ask 'Vilken rapport är äldst?'", *timed(client, n, lambda c, _: c.post("/v1/ask", json={"question": "Vilken rapport är äldst?"}))),
            row("/v1/ask 'Vad rekommenderar KPMG?'", *timed(client, n, lambda c, _: c.post("/v1/ask", json={"question": "Vad rekommenderar KPMG?"}))),
        ]
        print("\n".join(rows))
        print(f"load average after {os.getloadavg()}; {len(ids)} documents listed by default of {listed.get('total', len(ids))}")
        print(json.dumps({"suggested": json.loads(follow_ups("Vilka kontrollmål bedömdes ej uppfyllda i rapporterna?")(client, 0).json()["choices"][0]["message"]["content"])}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
