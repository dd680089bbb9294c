"""The scale-out path: two stateless API processes (as behind a load balancer, or `uvicorn --workers 2` on one port)
over one `chroma run` server and one AUDITQA_HOME (catalog, findings, BM25 files). Both answer alike, and a report
uploaded through one is searched, quoted and listed with its findings by the other."""

import shutil
import time

import httpx
import pytest
from fixtures.homes import CORPUS, FIXTURE_REPORTS, make_settings
from fixtures.live_server import start_server, stop_server

from ingest.pipeline import Ingestor

pytestmark = pytest.mark.slow

PREFIX = "scaleout"
STARTING = ("umea-2018-integrationsarbetet.txt", "lulea-2007-integration.txt")
UPLOAD = FIXTURE_REPORTS / "skelleftea-2020-integrationsarbete.txt"
QUESTION = "Vilka kontrollmål bedömdes ej uppfyllda i Skellefteå?"


@pytest.fixture(scope="module")
def workers(tmp_path_factory, embedder, chroma_server):
    root = tmp_path_factory.mktemp("scale-out")
    folder = root / "reports"
    folder.mkdir()
    for name in (*STARTING, "manifest.toml"):
        shutil.copy(CORPUS / name, folder / name)
    home = root / "home"
    assert len(Ingestor(make_settings(home, chroma_url=chroma_server, collection_prefix=PREFIX), embedder).run(folder).added) == 2
    env = {"AUDITQA_CHROMA_URL": chroma_server, "AUDITQA_COLLECTION_PREFIX": PREFIX, "AUDITQA_RATE_LIMIT_PER_MINUTE": "0",
           "AUDITQA_VIEW_CHECK_INTERVAL_S": "0.2"}
    processes, urls = [], []
    try:
        for n in (1, 2):
            with open(root / f"worker{n}.log", "wb") as log:
                process, url = start_server(home, log, env=env)
            processes.append(process)
            urls.append(url)
        yield [httpx.Client(base_url=url, timeout=300) for url in urls]
    finally:
        for process in processes:
            stop_server(process)


def ask(client: httpx.Client, question: str) -> dict:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    body = response.json()
    return {"answer": body["answer"], "sources": [(c["document_id"], c["quote"]) for c in body["citations"]]}


def view_of(client: httpx.Client) -> dict:
    hits = client.post("/v1/search", json={"query": "gränsdragningen mellan nämnderna i Skellefteå", "top_k": 3}).json()["results"]
    findings = client.get("/v1/findings", params={"municipality": "Skellefteå", "kind": "kontrollmal"})
    return {
        "documents": sorted(d["document_id"] for d in client.get("/v1/documents").json()["documents"]),
        "search": [h["document_id"] for h in hits],
        "verdicts": [(f["text"], f["verdict"]) for f in findings.json()["findings"]] if findings.status_code == 200 else findings.status_code,
        "ask": ask(client, QUESTION),
    }


def test_two_workers_answer_alike_and_see_each_others_upload(workers):
    first, second = workers
    question = "Med vilka organisationer har Umeå kommun en IOP-överenskommelse?"
    assert ask(first, question) == ask(second, question)
    assert ask(first, question)["sources"]

    response = first.post("/v1/documents", params={"wait": "true"}, files={"file": (UPLOAD.name, UPLOAD.read_bytes(), "text/plain")})
    assert response.status_code == 201, response.text
    after = view_of(first)
    assert UPLOAD.stem in after["documents"] and after["search"][0] == UPLOAD.stem, after
    assert len(after["verdicts"]) == 4 and any(d == UPLOAD.stem for d, _ in after["ask"]["sources"]), after
    deadline = time.monotonic() + 30
    while (seen := view_of(second)) != after and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen == after
