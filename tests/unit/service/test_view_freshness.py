"""Two API workers over one home (what `uvicorn --workers 2` runs): a report uploaded through one is listed,
found by lexical and dense search, and its findings are read by the other, which learns of the change from the
catalog's generation. The same over a `chroma run` server and real workers: tests/e2e/test_scale_out.py."""

import time

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import FIXTURE_REPORTS, ingested_corpus, make_settings

from service.api.app import create_app

SKELLEFTEA = FIXTURE_REPORTS / "skelleftea-2020-integrationsarbete.txt"
DOCUMENT_ID = SKELLEFTEA.stem


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    home = ingested_corpus(tmp_path_factory, "two-workers").home
    settings = make_settings(home, view_check_interval_s=0)
    with TestClient(create_app(settings, FakeEmbedder())) as first, TestClient(create_app(settings, FakeEmbedder())) as second:
        yield first, second


def search(client) -> list[str]:
    hits = client.post("/v1/search", json={"query": "gränsdragningen mellan nämnderna Skellefteå", "top_k": 5}).json()["results"]
    return [h["document_id"] for h in hits]


def seen_by(client, present: bool = True, deadline_s: float = 20) -> dict:
    """What the worker shows of the uploaded report once its view has (or, with `present` false, has lost) it: the
    view is reloaded in the background, so it is polled."""
    deadline = time.monotonic() + deadline_s
    while (DOCUMENT_ID in search(client)) != present and time.monotonic() < deadline:
        time.sleep(0.05)
    findings = client.get("/v1/findings", params={"document_id": DOCUMENT_ID, "kind": "kontrollmal"})
    return {
        "listed": DOCUMENT_ID in {d["document_id"] for d in client.get("/v1/documents").json()["documents"]},
        "top": search(client)[:1],
        "verdicts": [f["verdict"] for f in findings.json()["findings"]] if findings.status_code == 200 else findings.status_code,
    }


def test_an_upload_through_one_worker_is_seen_by_the_other(workers):
    first, second = workers
    assert not seen_by(second, deadline_s=0)["listed"]
    response = first.post("/v1/documents?wait=true", files={"file": (SKELLEFTEA.name, SKELLEFTEA.read_bytes(), "text/plain")})
    assert response.status_code == 201, response.text
    expected = seen_by(first)
    assert expected["listed"] and expected["top"] == [DOCUMENT_ID] and len(expected["verdicts"]) == 4, expected
    assert seen_by(second) == expected


def test_a_delete_through_one_worker_is_seen_by_the_other(workers):
    first, second = workers
    if not seen_by(second)["listed"]:
        pytest.skip("the upload test did not run first")
    assert first.delete(f"/v1/documents/{DOCUMENT_ID}?wait=true").status_code == 200
    gone = seen_by(second, present=False)
    assert not gone["listed"] and DOCUMENT_ID not in search(second), gone
