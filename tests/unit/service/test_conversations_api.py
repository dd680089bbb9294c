"""Conversation history and feedback over HTTP: the real app (fake embedder), two keys that must not see each other's."""

import json
import re

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import ingested_corpus, make_settings

from service.api.app import create_app

READ_KEY = "read-key-0123456789abcdef"
OTHER_KEY = "other-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = ingested_corpus(tmp_path_factory, "conversations-home").home
    settings = make_settings(home, api_keys=f"read:{READ_KEY},read:{OTHER_KEY},admin:{ADMIN_KEY}")
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        yield client


def as_(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def ask(client, key: str, **body) -> dict:
    response = client.post("/v1/ask", json=body, headers=as_(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_history_lists_reopens_renames_and_deletes_only_the_callers_conversations(client):
    first = ask(client, READ_KEY, question="Vilka rekommendationer gavs i Alvesta?", conversation=True)
    cid = first["conversation_id"]
    assert first["turn"] == 1
    second = ask(client, READ_KEY, question="Och i Hultsfred?", conversation_id=cid)
    assert second["turn"] == 2 and second["conversation_id"] == cid

    listed = client.get("/v1/conversations", headers=as_(READ_KEY)).json()["conversations"]
    mine = next(c for c in listed if c["conversation_id"] == cid)
    assert mine["title"] == "Vilka rekommendationer gavs i Alvesta?" and mine["turns"] == 2
    assert all(c["conversation_id"] != cid for c in client.get("/v1/conversations", headers=as_(OTHER_KEY)).json()["conversations"])

    opened = client.get(f"/v1/conversations/{cid}", headers=as_(READ_KEY)).json()
    assert [m["question"] for m in opened["messages"]] == ["Vilka rekommendationer gavs i Alvesta?", "Och i Hultsfred?"]
    assert opened["messages"][1]["resolved_question"] == "Vilka rekommendationer gavs i Hultsfred?"
    # A reopened turn shows the same answer and sources the question got.
    assert opened["messages"][0]["answer"] == first["answer"] and opened["messages"][0]["citations"] == first["citations"]
    assert client.get(f"/v1/conversations/{cid}", headers=as_(OTHER_KEY)).status_code == 404

    assert client.patch(f"/v1/conversations/{cid}", json={"title": "  Rekommendationer  "}, headers=as_(OTHER_KEY)).status_code == 404
    renamed = client.patch(f"/v1/conversations/{cid}", json={"title": "  Rekommendationer  "}, headers=as_(READ_KEY))
    assert renamed.status_code == 200 and renamed.json()["title"] == "Rekommendationer"
    assert client.patch(f"/v1/conversations/{cid}", json={"title": ""}, headers=as_(READ_KEY)).status_code == 422

    assert client.delete(f"/v1/conversations/{cid}", headers=as_(OTHER_KEY)).status_code == 404
    assert client.delete(f"/v1/conversations/{cid}", headers=as_(READ_KEY)).status_code == 204
    assert client.get(f"/v1/conversations/{cid}", headers=as_(READ_KEY)).status_code == 404
    assert "finns inte" in client.delete(f"/v1/conversations/{cid}", headers=as_(READ_KEY)).json()["detail"]


def test_the_stream_names_the_kept_turn(client):
    response = client.post("/v1/ask", json={"question": "Vem skrev Kalmarrapporten?", "conversation": True, "stream": True}, headers=as_(READ_KEY))
    done = response.text.split("event: done\ndata: ", 1)[1].split("\n", 1)[0]
    assert json.loads(done)["turn"] == 1


def test_feedback_is_kept_with_the_turn_and_exported_as_eval_items(client):
    good = ask(client, READ_KEY, question="Vilka rekommendationer gavs i Alvesta?", conversation=True)
    bad = ask(client, READ_KEY, question="Hur många flyktingar tog Göteborg emot 2017?", conversation_id=good["conversation_id"])
    cid = good["conversation_id"]
    up = client.post("/v1/feedback", json={"conversation_id": cid, "turn": good["turn"], "rating": "up"}, headers=as_(READ_KEY))
    assert up.status_code == 201 and up.json()["rating"] == "up"
    down = {"conversation_id": cid, "turn": bad["turn"], "rating": "down", "comment": "Borde säga att Göteborg saknas."}
    assert client.post("/v1/feedback", json=down, headers=as_(READ_KEY)).status_code == 201
    # Another key cannot rate this conversation's answers; nor can a turn that was never asked be rated.
    assert client.post("/v1/feedback", json={**down, "comment": None}, headers=as_(OTHER_KEY)).status_code == 404
    assert client.post("/v1/feedback", json={**down, "turn": 99}, headers=as_(READ_KEY)).status_code == 404
    assert client.post("/v1/feedback", json={**down, "rating": "meh"}, headers=as_(READ_KEY)).status_code == 422

    assert client.get("/v1/feedback/export", headers=as_(READ_KEY)).status_code == 403
    export = client.get("/v1/feedback/export", headers=as_(ADMIN_KEY))
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    items = {item["question"]: item for item in map(json.loads, export.text.splitlines())}
    positive = items["Vilka rekommendationer gavs i Alvesta?"]
    assert positive["answerable"] and "review" not in positive
    assert {(g["document_id"], g["quote"]) for g in positive["gold"]} == {(c["document_id"], c["quote"]) for c in good["citations"]}
    negative = items["Hur många flyktingar tog Göteborg emot 2017?"]
    assert negative["review"] is True and "Borde säga att Göteborg saknas." in negative["notes"]


def test_the_feedback_export_loads_as_an_eval_set(client, tmp_path):
    from evals.dataset import CORPUS_DIR, load_items

    answer = ask(client, READ_KEY, question="Vilka rekommendationer gavs i Hultsfred?", conversation=True)
    client.post("/v1/feedback", json={"conversation_id": answer["conversation_id"], "turn": answer["turn"], "rating": "up"}, headers=as_(READ_KEY))
    other = ask(client, READ_KEY, question="Vem skrev Kalmarrapporten?", conversation_id=answer["conversation_id"])
    client.post("/v1/feedback", json={"conversation_id": other["conversation_id"], "turn": other["turn"], "rating": "down"}, headers=as_(READ_KEY))
    path = tmp_path / "feedback.jsonl"
    path.write_text(client.get("/v1/feedback/export", headers=as_(ADMIN_KEY)).text, encoding="utf-8")
    items = load_items(path, CORPUS_DIR)  # validates every gold quote against the corpus and every regex
    scored = [i for i in items if not i.review]
    item = next(i for i in scored if i.question == "Vilka rekommendationer gavs i Hultsfred?")
    assert item.gold and all(any(re.search(p, answer["answer"], re.IGNORECASE) for p in fact) for fact in item.must_contain)
    assert any(i.review and i.question == "Vem skrev Kalmarrapporten?" for i in items)  # left for someone to finish
