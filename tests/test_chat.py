"""Conversations and streaming: follow-up resolution, the turn store, `/v1/ask` with a conversation and with SSE.

The resolver and store tests are fast (no model); the API tests run the real app over the real index.
"""

import json

import pytest

from ingest.settings import Settings
from service.conversations import ConversationStore, FollowUpResolver, Turn, resolve
from service.streaming import answer_pieces

ALVESTA = "alvesta-2018-introduktion-nyanlanda"
HULTSFRED = "hultsfred-2019-asyl-integration"
CORPUS_MUNICIPALITIES = ("Alvesta", "Hultsfred", "Kalmar", "Luleå", "Umeå")
CORPUS_YEARS = (2007, 2016, 2018, 2019)


# ---------------------------------------------------------------------------------------------
# Follow-up resolution (fast)


@pytest.fixture(scope="module")
def resolver() -> FollowUpResolver:
    return FollowUpResolver(CORPUS_MUNICIPALITIES, CORPUS_YEARS)


def conversation(resolver: FollowUpResolver, *questions: str) -> list[str]:
    resolved: list[str] = []
    for question in questions:
        resolved.append(resolver.resolve(resolved, question))
    return resolved


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # A new municipality replaces the old one; the question frame (type, topic) carries over.
        (["Vilka rekommendationer gavs i Alvesta?", "Och i Hultsfred?"], "Vilka rekommendationer gavs i Hultsfred?"),
        (["Vilka rekommendationer gavs i Alvesta?", "Och Umeå?"], "Vilka rekommendationer gavs i Umeå?"),
        (["Vilka rekommendationer gavs i Hultsfred?", "What about Kalmar?"], "Vilka rekommendationer gavs i Kalmar?"),
        # "där" refers back to the municipality.
        (["Berätta om arbetsmarknadsenheten i Alvesta.", "Vilka rekommendationer gavs där?"], "Vilka rekommendationer gavs i Alvesta?"),
        (
            ["Berätta om arbetsmarknadsenheten i Alvesta.", "Hur många praktikplatser för lättare industriarbete finns där?"],
            "Hur många praktikplatser för lättare industriarbete finns i Alvesta?",
        ),
        # "det"/"den" stand for the previous question's topic.
        (["Vad säger rapporten om samordningen av integrationsarbetet i Alvesta?", "Hur bedömdes det?"], "Hur bedömdes samordningen av integrationsarbetet i Alvesta?"),
        (["Vem skrev Kalmarrapporten?", "När är den daterad?"], "När är Kalmarrapporten daterad?"),
        (["Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", "Hur bedömdes det?"], "Hur bedömdes dessa kontrollmål i Alvesta?"),
        # "dem" stands for the previous question's plural noun.
        (
            ["Hur många platser har sysselsättningsavdelningen i Luleå?", "Hur stor andel av dem har gått till personer från länder utanför Norden?"],
            "Hur stor andel av dessa platser har gått till personer från länder utanför Norden i Luleå?",
        ),
        # A fragment replaces its counterpart: an ordinal, or the noun phrase whose head it repeats.
        (["Vad kostade den första åtgärdskatalogen i Hultsfred totalt?", "Och den andra?"], "Vad kostade den andra åtgärdskatalogen i Hultsfred totalt?"),
        (
            ["Hur bedömdes kontrollmålet om ensamkommande i Alvesta?", "Och kontrollmålet om hur kommunens insatser samordnas?"],
            "Hur bedömdes kontrollmålet om hur kommunens insatser samordnas i Alvesta?",
        ),
        # A whole question without a municipality stays in the conversation's municipality (a report named by compound too).
        (["Vad rekommenderar KPMG i Umeårapporten?", "Vem kan man kontakta för mer information?"], "Vem kan man kontakta för mer information i Umeå?"),
        (["Hur mycket pengar fick invandrarservice i Luleå från Integrationsverket?", "När skulle pengarna överföras?"], "När skulle pengarna överföras i Luleå?"),
        (["Vilka rekommendationer gavs i Alvesta?", "What recommendations were given there?"], "What recommendations were given in Alvesta?"),
        # "Och hur ...": the lead-in goes, the rest is a whole question.
        (["Vilka rekommendationer gavs i Alvesta?", "Och hur bedömdes samordningen?"], "Hur bedömdes samordningen i Alvesta?"),
    ],
)
def test_follow_ups_are_resolved(resolver, turns, expected):
    assert conversation(resolver, *turns)[-1] == expected


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("Vilka rekommendationer gavs i Alvesta?", "Vem skrev Kalmarrapporten?"),
        ("Vilka rekommendationer gavs i Alvesta?", "Hur bedömdes kontrollmålet om ensamkommande i Hultsfred?"),
        # Questions about the whole corpus do not inherit the municipality.
        ("Vilka rekommendationer gavs i Alvesta?", "Vilka kommuners granskningar finns i underlaget?"),
        ("Vilka rekommendationer gavs i Alvesta?", "Vilka rapporter jämför kommunerna?"),
    ],
)
def test_self_contained_questions_pass_unchanged(resolver, previous, question):
    assert resolver.resolve([previous], question) == question


def test_first_question_passes_unchanged(resolver):
    assert resolver.resolve([], "Och i Hultsfred?") == "Och i Hultsfred?"
    # Not even its white space is touched when nothing is resolved.
    assert resolver.resolve(["Vilka rekommendationer gavs i Alvesta?"], "Vem skrev\n  Kalmarrapporten") == "Vem skrev\n  Kalmarrapporten"


def test_resolution_chains_and_accepts_turns(resolver):
    turns = conversation(resolver, "Vilka rekommendationer gavs i Alvesta?", "Och i Hultsfred?", "Och Umeå?")
    assert turns[-1] == "Vilka rekommendationer gavs i Umeå?"
    history = [Turn("Och i Hultsfred?", "Vilka rekommendationer gavs i Hultsfred?")]
    assert resolver.resolve(history, "Vilka kontrollmål bedömdes där?") == "Vilka kontrollmål bedömdes i Hultsfred?"
    # The module-level function is the same resolver.
    assert resolve(["Vilka rekommendationer gavs i Alvesta?"], "Och i Hultsfred?", CORPUS_MUNICIPALITIES, CORPUS_YEARS) == "Vilka rekommendationer gavs i Hultsfred?"


def test_a_municipality_outside_the_corpus_replaces_too(resolver):
    # The answer will then say plainly that there is no report from Växjö.
    assert resolver.resolve(["Vilka rekommendationer gavs i Alvesta?"], "Och i Växjö?") == "Vilka rekommendationer gavs i Växjö?"


# ---------------------------------------------------------------------------------------------
# The store (fast)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_store_keeps_turns_across_instances(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    first = ConversationStore(path)
    first.append("c1", Turn("Vilka rekommendationer gavs i Alvesta?", "Vilka rekommendationer gavs i Alvesta?", "svar [1]", True, (ALVESTA,)))
    first.append("c1", Turn("Och i Hultsfred?", "Vilka rekommendationer gavs i Hultsfred?", "svar", True, (HULTSFRED,)))
    again = ConversationStore(path)
    history = again.history("c1")
    assert [t.question for t in history] == ["Vilka rekommendationer gavs i Alvesta?", "Och i Hultsfred?"]
    assert history[1].resolved_question == "Vilka rekommendationer gavs i Hultsfred?"
    assert history[0].grounded is True and history[0].document_ids == (ALVESTA,)
    assert again.history("unknown") == []


def test_store_expires_idle_conversations(tmp_path):
    clock = Clock()
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_s=60, clock=clock)
    store.append("old", Turn("q", "q"))
    clock.now += 30
    assert len(store.history("old")) == 1
    store.append("old", Turn("q2", "q2"))  # activity renews the conversation
    clock.now += 59
    assert len(store.history("old")) == 2
    clock.now += 2
    assert store.history("old") == []
    assert store.count() == 0
    # Writing to an expired id starts afresh under the same id.
    store.append("old", Turn("q3", "q3"))
    assert [t.question for t in store.history("old")] == ["q3"]


def test_store_purges_expired_conversations_on_write(tmp_path):
    clock = Clock()
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_s=10, clock=clock)
    for i in range(5):
        store.append(f"c{i}", Turn("q", "q"))
    clock.now += 11
    store.append("fresh", Turn("q", "q"))
    assert store.count() == 1


def test_store_is_bounded(tmp_path):
    clock = Clock()
    store = ConversationStore(tmp_path / "c.sqlite3", max_turns=3, max_conversations=2, clock=clock)
    for i in range(5):
        clock.now += 1
        store.append("a", Turn(f"q{i}", f"q{i}"))
    assert [t.question for t in store.history("a")] == ["q2", "q3", "q4"]
    clock.now += 1
    store.append("b", Turn("q", "q"))
    clock.now += 1
    store.append("a", Turn("q5", "q5"))  # "a" is now the most recently used
    clock.now += 1
    store.append("c", Turn("q", "q"))  # evicts the least recently used: "b"
    assert store.count() == 2
    assert store.history("b") == []
    assert [t.question for t in store.history("a")] == ["q3", "q4", "q5"]
    assert len(store.history("c")) == 1


def test_store_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDITQA_CONVERSATION_TTL_S", "5")
    monkeypatch.setenv("AUDITQA_CONVERSATION_MAX_TURNS", "4")
    monkeypatch.setenv("AUDITQA_CONVERSATION_MAX_COUNT", "7")
    settings = Settings(home=tmp_path)
    store = ConversationStore.from_settings(settings)
    assert (store.ttl_s, store.max_turns, store.max_conversations) == (5, 4, 7)
    assert store.path == tmp_path / "conversations.sqlite3" and store.path.exists()


def test_answer_pieces_rejoin_to_the_answer():
    text = "Alvesta 2018, avsnitt 2.6.4: Vi bedömer kontrollmålet som Ej uppfyllt. Det saknas en plan. [1]\nUmeå 2018, avsnitt 3: Ja. [2]"
    pieces = answer_pieces(text)
    assert "".join(pieces) == text
    assert pieces == ["Alvesta 2018, avsnitt 2.6.4: Vi bedömer kontrollmålet som Ej uppfyllt.", " Det saknas en plan. [1]\n", "Umeå 2018, avsnitt 3: Ja. [2]"]


# ---------------------------------------------------------------------------------------------
# /v1/ask in a conversation (slow: the real app over the real index)


def ask(client, question: str, conversation_id: str | None = None, **extra) -> dict:
    body = {"question": question, **extra}
    if conversation_id:
        body["conversation_id"] = conversation_id
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
def test_unknown_conversation_id_starts_a_conversation(api_client):
    conversation_id = "okänd-konversation-4711"
    first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?", conversation_id)
    assert first["conversation_id"] == conversation_id
    assert first["resolved_question"] == "Vilka rekommendationer gavs i Alvesta?"
    second = ask(api_client, "Och Umeå?", conversation_id)
    assert second["resolved_question"] == "Vilka rekommendationer gavs i Umeå?"


@pytest.mark.slow
def test_without_conversation_id_a_new_one_is_made(api_client):
    a = ask(api_client, "Och i Hultsfred?")
    b = ask(api_client, "Och i Hultsfred?")
    assert a["conversation_id"] and a["conversation_id"] != b["conversation_id"]
    assert a["resolved_question"] == "Och i Hultsfred?"  # nothing to resolve against


@pytest.mark.slow
def test_conversation_survives_an_app_restart(api_client):
    from fastapi.testclient import TestClient

    from service.app import app

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
    from service.app import app

    clock = Clock()
    original = app.state.conversations
    app.state.conversations = ConversationStore(tmp_path / "c.sqlite3", ttl_s=0.5, clock=clock)
    try:
        first = ask(api_client, "Vilka rekommendationer gavs i Alvesta?")
        clock.now += 1
        second = ask(api_client, "Och i Hultsfred?", first["conversation_id"])
    finally:
        app.state.conversations = original
    assert second["conversation_id"] == first["conversation_id"]
    assert second["resolved_question"] == "Och i Hultsfred?"


@pytest.mark.slow
def test_conversation_keeps_a_bounded_number_of_turns(api_client, tmp_path):
    from service.app import app

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
    assert done["grounded"] is True and done["conversation_id"] and done["resolved_question"] == question


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
