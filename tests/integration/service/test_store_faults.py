"""A real `chroma run` server stopped and started again under the app: queries and /healthz answer 503 with
Retry-After while it is down and recover by themselves once it is back; a DELETE meanwhile is 503 with the document
still whole, and succeeds afterwards with no vectors left behind. SIGTERM with a job running stops a real uvicorn
within seconds and leaves the index consistent."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import CORPUS, make_settings
from fixtures.live_server import free_port

from ingest.index.catalog import Catalog
from ingest.index.vectors import VectorStore
from ingest.pipeline import Ingestor
from service.api.app import create_app

DOOMED = "umea-2018-integrationsarbetet"


class ChromaServer:
    """`chroma run` over one data folder and port, stopped and started at will."""

    def __init__(self, data: Path) -> None:
        self.data, self.port, self.process = data, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_ANONYMIZED_TELEMETRY": "False"}
        self.process = subprocess.Popen(
            [chroma, "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        pytest.fail("chroma run did not become healthy within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def chroma(tmp_path):
    server = ChromaServer(tmp_path / "chroma")
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_chroma_down_is_503_and_delete_is_all_or_nothing(tmp_path, chroma):
    settings = make_settings(tmp_path / "home", chroma_url=chroma.url, retry_after_s=2)
    Ingestor(settings, FakeEmbedder()).run(CORPUS)
    search = {"query": "integration", "filters": {"document_id": [DOOMED]}}
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        assert client.post("/v1/search", json=search).json()["results"]
        chroma.stop()

        down = client.post("/v1/search", json=search)
        assert down.status_code == 503 and down.headers["Retry-After"] == "2" and "Vektorlagret" in down.json()["detail"]
        # A question only retrieval answers (the findings and the catalog's facts need no vectors).
        assert client.post("/v1/ask", json={"question": "Hur arbetar Umeå med svenska för invandrare?"}).status_code == 503
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["dependencies"]["vectors"] != "ok"
        assert health.json()["dependencies"]["catalog"] == "ok"

        refused = client.delete(f"/v1/documents/{DOOMED}")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
        assert client.get(f"/v1/documents/{DOOMED}").status_code == 200
        assert DOOMED in {d["document_id"] for d in client.get("/v1/documents").json()["documents"]}
        assert health.json()["documents"] == client.get("/healthz").json()["documents"] == 5

        chroma.start()
        started, deadline = time.monotonic(), time.monotonic() + 30
        while client.post("/v1/search", json=search).status_code != 200:
            assert time.monotonic() < deadline, "queries did not recover within 30 s of Chroma's return"
            time.sleep(0.2)
        recovered_s = time.monotonic() - started
        assert recovered_s < 10
        assert client.get("/healthz").status_code == 200

        assert client.delete(f"/v1/documents/{DOOMED}").status_code == 200
        assert client.post("/v1/search", json=search).status_code == 422  # an unknown document id now
        assert client.get("/healthz").json()["documents"] == 4
    assert DOOMED not in VectorStore(settings).document_ids()
    assert Catalog(settings.catalog_path).pending_deletes() == {}
