"""Conversations and streaming: follow-up resolution, the turn store, `/v1/ask` with a conversation and with SSE.

The resolver and store tests are fast (no model); the API tests run the real app over the real index.
"""


import json

import pytest
from fixtures.clock import Clock

from service.chat.store import ConversationStore

ALVESTA = "alvesta-2018-introduktion-nyanlanda"


HULTSFRED = "hultsfred-2019-asyl-integration"


def ask(client, question: str, conversation_id: str | None = None, **extra) -> dict:
    """A turn of a conversation: the one named, or a new one."""
    body = {"question": question, **extra}
    if conversation_id:
        body["conversation_id"] = conversation_id
    else:
        body["conversation"] = True
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def documents(body: dict) -> set[str]:
    return {c["document_id"] for c in body["citations"]}


@pytest.mark.slow
def test_follow_up_switches_municipality(api_client):
    first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?")
    assert first["resolved_question"] == "Vilka rekommendationer gavs i Alvesta?"
    assert documents(first) == {ALVESTA}
    second = ask(api_client, "Och i Hultsfred?", first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    resolved = second["resolved_question"]
    assert "Hultsfred" in resolved and "rekommendationer" in resolved and "Alvesta" not in resolved
    assert second["grounded"] is True
    assert documents(second) == {HULTSFRED}
    assert "styrkort" in second["answer"] or "protokoll" in second["answer"], second["answer"]


@pytest.mark.slow
def test_follow_up_carries_the_topic(api_client):
    first = ask(api_client, "Vad säger rapporten om samordningen av integrationsarbetet i Alvesta?")
    second = ask(api_client, "Hur bedömdes det?", first["conversation_id"])
    resolved = second["resolved_question"]
    assert "samordningen" in resolved and "Alvesta" in resolved and "bedömdes" in resolved
    assert second["grounded"] is True
    assert documents(second) == {ALVESTA}


@pytest.mark.slow
def test_unknown_conversation_id_starts_a_conversation_under_a_server_id(api_client):
    chosen = "okänd-konversation-4711"
    first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?", chosen)
    assert first["conversation_id"] and first["conversation_id"] != chosen
    assert first["resolved_question"] == "Vilka rekommendationer gavs i Alvesta?"
    second = ask(api_client, "Och Umeå?", first["conversation_id"])
    assert second["resolved_question"] == "Vilka rekommendationer gavs i Umeå?"
    again = ask(api_client, "Och Umeå?", chosen)  # the client's id was never adopted
    assert again["resolved_question"] == "Och Umeå?" and again["conversation_id"] != chosen


@pytest.mark.slow
def test_without_conversation_id_a_new_one_is_made(api_client):
    a = ask(api_client, "Och i Hultsfred?")
    b = ask(api_client, "Och i Hultsfred?")
    assert a["conversation_id"] and a["conversation_id"] != b["conversation_id"]
    assert a["resolved_question"] == "Och i Hultsfred?"  # nothing to resolve against


@pytest.mark.slow
def test_conversation_survives_an_app_restart(api_client):
    from fastapi.testclient import TestClient

    app = api_client.app
    first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?")
    old_qa, old_store = app.state.qa, app.state.conversations
    # The lifespan again: a new QAService and a new store over the same home.
    with TestClient(app) as restarted:
        assert app.state.qa is not old_qa and app.state.conversations is not old_store
        second = ask(restarted, "Och i Hultsfred?", first["conversation_id"])
    assert second["resolved_question"] == "Vilka rekommendationer gavs i Hultsfred?"
    assert documents(second) == {HULTSFRED}


@pytest.mark.slow
def test_expired_conversation_is_forgotten(api_client, tmp_path):
    app = api_client.app
    clock = Clock()
    original = app.state.conversations
    app.state.conversations = ConversationStore(tmp_path / "c.sqlite3", ttl_s=0.5, clock=clock)
    try:
        first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?")
        clock.now += 1
        second = ask(api_client, "Och i Hultsfred?", first["conversation_id"])
    finally:
        app.state.conversations = original
    assert second["conversation_id"] != first["conversation_id"]  # a new conversation, under a new id
    assert second["resolved_question"] == "Och i Hultsfred?"


@pytest.mark.slow
def test_conversation_keeps_a_bounded_number_of_turns(api_client, tmp_path):
    app = api_client.app
    original = app.state.conversations
    store = ConversationStore(tmp_path / "c.sqlite3", max_turns=2, max_conversations=1)
    app.state.conversations = store
    try:
        first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?")
        cid = first["conversation_id"]
        ask(api_client, "Och i Hultsfred?", cid)
        ask(api_client, "Och Umeå?", cid)
        other = ask(api_client, "Vem skrev Kalmarrapporten?")
    finally:
        app.state.conversations = original
    assert store.count() == 1
    assert store.history(cid) == []
    assert [t.question for t in store.history(other["conversation_id"])] == ["Vem skrev Kalmarrapporten?"]


def read_events(lines) -> list[tuple[str, dict]]:
    events, event, data = [], None, []
    for line in lines:
        if line == "":
            if data:
                events.append((event or "message", json.loads("\n".join(data))))
            event, data = None, []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return events


@pytest.mark.slow
def test_stream_sends_answer_then_citations_then_done(api_client):
    question = "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?"
    plain = ask(api_client, question)
    response = api_client.post("/v1/ask", json={"question": question, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = read_events(response.text.split("\n"))
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"]
    assert set(names[:-2]) == {"answer"} and len(names) >= 4
    assert "".join(data["text"] for name, data in events if name == "answer") == plain["answer"]
    citations = events[-2][1]["citations"]
    assert citations == plain["citations"]
    done = events[-1][1]
    assert done["grounded"] is True and done["conversation_id"] is None and done["resolved_question"] == question  # none asked for


@pytest.mark.slow
def test_stream_continues_a_conversation(api_client):
    first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?")
    response = api_client.post("/v1/ask", json={"question": "Och i Hultsfred?", "conversation_id": first["conversation_id"], "stream": True})
    done = read_events(response.text.split("\n"))[-1]
    assert done[0] == "done"
    assert done[1]["conversation_id"] == first["conversation_id"]
    assert done[1]["resolved_question"] == "Vilka rekommendationer gavs i Hultsfred?"


@pytest.mark.slow
def test_stream_errors_are_plain_http_errors(api_client):
    response = api_client.post("/v1/ask", json={"question": "   ", "stream": True})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert "tom" in response.json()["detail"]
    response = api_client.post("/v1/ask", json={"question": "Vilka rekommendationer gavs?", "stream": True, "filters": {"municipality": ["Atlantis"]}})
    assert response.status_code == 422 and "Atlantis" in response.json()["detail"]


@pytest.mark.slow
def test_client_disconnecting_mid_stream_does_not_disturb_the_server(api_client):
    with api_client.stream("POST", "/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?", "stream": True}) as response:
        assert response.status_code == 200
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line == "" and any(line.startswith("data:") for line in lines):
                break  # one whole event read; hang up
    assert read_events(lines)[0][0] == "answer"
    after = ask(api_client, "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?")
    assert after["grounded"] is True and documents(after) == {ALVESTA}
    assert api_client.get("/healthz").status_code == 200
