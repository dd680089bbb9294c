"""Shared fixtures: real model, real Chroma (embedded and a `chroma run` server), the corpus ingested once."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fixtures.homes import CORPUS, make_settings
from fixtures.live_server import free_port, live_server

from ingest.config import Settings, get_settings
from service.api.presenters import chunk_texts


@pytest.fixture(scope="session")
def e5_model_dir() -> Path:
    from tools.model_build import build_model

    return build_model(get_settings().embed_model)


@pytest.fixture(scope="session")
def embedder(e5_model_dir):
    from ingest.embedding import Embedder

    model = Embedder(e5_model_dir)
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def corpus_home(tmp_path_factory, embedder) -> Path:
    """An AUDITQA_HOME with the bundled corpus ingested once per test session (read-only for tests)."""
    from ingest.pipeline import Ingestor

    home = tmp_path_factory.mktemp("corpus-home")
    report = Ingestor(make_settings(home), embedder).run(CORPUS)
    assert len(report.added) == 5, report.summary()
    return home


@pytest.fixture(scope="session")
def corpus_settings(corpus_home) -> Settings:
    return make_settings(corpus_home)


@pytest.fixture(scope="session")
def api_client(corpus_settings, embedder):
    """The real app over the real index, lifespan included."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    with TestClient(create_app(corpus_settings, embedder)) as client:
        yield client


@pytest.fixture(scope="session")
def server_url(corpus_settings, tmp_path_factory):
    """The real app under uvicorn over the corpus home, started once for the end-to-end tests."""
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    with live_server(corpus_settings.home, log) as url:
        yield url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> str:
    """A real `chroma run` server on a free loopback port; yields its URL."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not become healthy within 60 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def ask(api_client):
    """POST /v1/ask through the real app; checks what every answer owes: 200, and each citation marked and quoted exactly."""

    def run(question: str) -> dict:
        response = api_client.post("/v1/ask", json={"question": question})
        assert response.status_code == 200, response.text
        body = response.json()
        for citation, text in zip(body["citations"], chunk_texts(body["citations"]), strict=True):
            assert f"[{citation['n']}]" in body["answer"]
            assert citation["quote"] and citation["quote"] in text
        return body

    return run
