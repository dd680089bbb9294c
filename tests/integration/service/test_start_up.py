"""Start-up with the real app, pipeline and Chroma (embedded): the vector indexes load beside the rest of start-up,
into the store the service then searches, and the service answers as one whose indexes loaded on first use."""

import threading

from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import FIXTURE_REPORTS, make_settings

from ingest.index.vectors import VectorStore
from ingest.pipeline import Ingestor
from service.api.app import build_qa, create_app

QUESTION = "Hur arbetar Skellefteå med integration?"


def test_the_vector_indexes_load_beside_start_up_into_the_store_searched(tmp_path, monkeypatch):
    settings = make_settings(tmp_path / "home", corpus_dir=FIXTURE_REPORTS)
    Ingestor(settings, FakeEmbedder()).run(FIXTURE_REPORTS)
    expected = build_qa(settings, FakeEmbedder()).ask(QUESTION).answer
    loaded: list[tuple[VectorStore, str]] = []
    load = VectorStore.load

    def spied(store):
        loaded.append((store, threading.current_thread().name))
        load(store)

    monkeypatch.setattr(VectorStore, "load", spied)
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        body = client.post("/v1/ask", json={"question": QUESTION}).json()
        [(store, thread)] = loaded
        assert store is client.app.state.qa.retriever.store and thread != threading.main_thread().name
    assert body["answer"] == expected.text and body["answerer"] == expected.answerer
