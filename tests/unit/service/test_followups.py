"""Conversations and streaming: follow-up resolution, the turn store, `/v1/ask` with a conversation and with SSE.

The resolver and store tests are fast (no model); the API tests run the real app over the real index.
"""




import os
import signal
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from fixtures.clock import Clock
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import ingested_corpus

from ingest.config import PROJECT_ROOT, Settings
from service.api.app import create_app
from service.api.streaming import answer_pieces
from service.chat.store import ConversationError, ConversationStore, Turn
from service.query.followups import FollowUpResolver, resolve

ALVESTA = "alvesta-2018-introduktion-nyanlanda"


HULTSFRED = "hultsfred-2019-asyl-integration"


CORPUS_MUNICIPALITIES = ("Alvesta", "Hultsfred", "Kalmar", "Luleå", "Umeå")


CORPUS_YEARS = (2007, 2016, 2018, 2019)


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
        # After a preposition a pronoun is an object that refers back: the item is kept, not only the municipality.
        (
            ["Hur mycket pengar avsattes för digitaliseringsprojektet i Alvesta?", "Och hur mycket av det hade använts?"],
            "Hur mycket av pengar för digitaliseringsprojektet hade använts i Alvesta?",
        ),
        (["Vilken budget hade projektet i Kalmar?", "Hur mycket av den användes?"], "Hur mycket av denna budget användes i Kalmar?"),
        # "där" refers back to the municipality.
        (["Berätta om arbetsmarknadsenheten i Alvesta.", "Vilka rekommendationer gavs där?"], "Vilka rekommendationer gavs i Alvesta?"),
        (
            ["Berätta om arbetsmarknadsenheten i Alvesta.", "Hur många praktikplatser för lättare industriarbete finns där?"],
            "Hur många praktikplatser för lättare industriarbete finns i Alvesta?",
        ),
        # "det"/"den" stand for the previous question's topic.
        (["Vad säger rapporten om samordningen av integrationsarbetet i Alvesta?", "Hur bedömdes det?"], "Hur bedömdes samordningen av integrationsarbetet i Alvesta?"),
        (["Vem skrev Kalmarrapporten?", "När är den daterad?"], "När är Kalmarrapporten daterad?"),
        # A question with no topic but the report: what is dated is the report.
        (["Vem skrev rapporten från Kalmar?", "När är den daterad?"], "När är rapporten daterad i Kalmar?"),
        (["Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", "Hur bedömdes det?"], "Hur bedömdes dessa kontrollmål i Alvesta?"),
        # "det första" after a list of items is the first of them.
        (["Vilka kontrollmål hade granskningen i Lidköping?", "Hur bedömdes det första?"], "Hur bedömdes det första kontrollmålet i Lidköping?"),
        (
            ["Vilka revisionsfrågor hade uppföljningen i Borås?", "Vad svarade revisorerna på den tredje?"],
            "Vad svarade revisorerna på den tredje revisionsfrågan i Borås?",
        ),
        # How large something was: the topic follows the verb.
        (["Hur stort var underskottet i Sandviken?", "Vad berodde det på?"], "Vad berodde underskottet på i Sandviken?"),
        (["Hur stort var underskottet i Sandviken?", "Varför då?"], "Varför var underskottet i Sandviken?"),
        # "de" ending a question stands for a plural topic, or for the previous question's plural noun.
        (["Hur stora var lokalkostnaderna i Falun 2019?", "Hur mycket ökade de?"], "Hur mycket ökade lokalkostnaderna i Falun?"),
        (["Vilka kostnader ökade mest i Falun?", "Hur mycket ökade de?"], "Hur mycket ökade dessa kostnader i Falun?"),
        (["Hur stora var kostnaderna i Falun?", "Vilka var de största?"], "Vilka var de största i Falun?"),
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
        # A pronoun agrees in gender with its noun: "den" is the budget (an en-word), not the project (an ett-word).
        (
            ["Hur stor budget hade makerspace-projektet i Hultsfred?", "Och hur mycket av den användes?"],
            "Hur mycket av budget för makerspace-projektet användes i Hultsfred?",
        ),
        (["Hur många platser har sysselsättningsavdelningen i Luleå?", "Hur många av dem gick till kvinnor?"], "Hur många av dessa platser gick till kvinnor i Luleå?"),
        # Beside a verb of saying or of making a report, the pronoun is the report.
        (["Vad säger rapporten om SFI i Umeå?", "Och vad säger den om bostäder?"], "Vad säger rapporten om bostäder i Umeå?"),
        (["Vem skrev rapporten om Kalmar?", "När skrevs den?"], "När skrevs rapporten i Kalmar?"),
        (["Vad var syftet med granskningen av integrationen i Kalmar?", "Och vem skrev den?"], "Vem skrev rapporten i Kalmar?"),
        (["Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", "Vem beställde den?"], "Vem beställde rapporten i Alvesta?"),
        # A bare question word asks the previous question again.
        (["Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", "Varför?"], "Varför kontrollmål bedömdes ej uppfyllda i Alvesta?"),
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


def test_store_keeps_one_connection_per_thread(tmp_path, monkeypatch):
    """A question reads and writes over its thread's open connection; another thread has its own; a failed statement
    drops the connection and the next call opens a new one."""
    import sqlite3
    import threading

    opened = []
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(threading.get_ident()) or connect(*a, **k))
    store = ConversationStore(tmp_path / "c.sqlite3")
    at_start = len(opened)
    for i in range(5):
        store.history("c1")
        store.append("c1", Turn(f"Fråga {i}?", f"Fråga {i}?"))
    assert len(opened) - at_start == 1
    other = threading.Thread(target=lambda: store.history("c1"))
    other.start()
    other.join()
    assert len(opened) - at_start == 2 and [t.question for t in store.history("c1")][-1] == "Fråga 4?"
    store._local.db.execute("DROP TABLE turns")  # break it: the next statement on this connection fails
    with pytest.raises(ConversationError):
        store.history("c1")
    assert store._local.db is None
    store.close()


@pytest.mark.parametrize(
    ("question", "fragment"),
    [
        ("Hultsfred 2019?", True),
        ("Och i Umeå?", True),
        ("Den andra?", True),
        # Typed in a hurry, but a question of its own: it names what it asks about.
        ("rekommendationer Alvesta introduktion", False),
        ("Umeå kontrollmålen", False),
    ],
)
def test_a_fragment_names_nothing_but_a_place_a_year_or_an_ordinal(resolver, question, fragment):
    assert resolver.needs_context(question) is fragment
    assert conversation(resolver, "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?", question)[1] != question or not fragment


def test_the_last_turn_is_the_historys_last_read_alone(tmp_path):
    clock = Clock()
    store = ConversationStore(tmp_path / "c.sqlite3", ttl_s=60, max_turns=3, clock=clock)
    assert store.last_turn("c1") is None
    for i in range(5):
        store.append("c1", Turn(f"Fråga {i}?", f"Fråga {i} om Alvesta?", f"svar {i} [1]", True, (ALVESTA,), citations=({"n": 1, "text": "…"},)))
        assert store.last_turn("c1") == store.history("c1")[-1]
    assert store.last_turn("c1").seq == 5 and store.last_turn("c1").citations == ({"n": 1, "text": "…"},)
    assert store.last_turn("c1", owner="någon annan") is None
    clock.now += 61
    assert store.last_turn("c1") is None and store.count() == 0


def test_a_question_in_a_conversation_reads_its_last_turn_only(tmp_path_factory, monkeypatch):
    with TestClient(create_app(ingested_corpus(tmp_path_factory, "last-turn"), FakeEmbedder())) as client:
        first = client.post("/v1/ask", json={"question": "Vilka rekommendationer gavs i Alvesta?", "conversation": True}).json()
        conversation_id = first["conversation_id"]
        client.post("/v1/ask", json={"question": "Och i Hultsfred?", "conversation_id": conversation_id})
        monkeypatch.setattr(client.app.state.conversations, "history", lambda *args: pytest.fail("the whole conversation was read"))
        third = client.post("/v1/ask", json={"question": "Och i Kalmar?", "conversation_id": conversation_id}).json()
        assert third["resolved_question"] == "Vilka rekommendationer gavs i Kalmar?"
        assert (third["conversation_id"], third["turn"]) == (conversation_id, 3)


def test_an_acknowledged_turn_survives_the_process_being_killed(tmp_path):
    """`append` returns once the turn is committed with synchronous=FULL (the log synced to the disk, so a machine's
    crash keeps it too); the process killed at once, the next one reads it."""
    path = tmp_path / "c.sqlite3"
    code = (
        "import os, signal, sys\n"
        "from service.chat.store import ConversationStore, Turn\n"
        "store = ConversationStore(sys.argv[1])\n"
        "store.append('c1', Turn('Vilka rekommendationer gavs i Alvesta?', 'Vilka rekommendationer gavs i Alvesta?', 'svar'))\n"
        "with store._connection() as db:\n"
        "    print(db.execute('PRAGMA synchronous').fetchone()[0], flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    killed = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert killed.returncode == -signal.SIGKILL and killed.stdout.strip() == "2", killed.stderr  # 2: FULL
    assert [t.question for t in ConversationStore(path).history("c1")] == ["Vilka rekommendationer gavs i Alvesta?"]


def test_workers_sharing_the_file_number_every_turn_once(tmp_path):
    """Two stores over one file (two API workers), each appending from several threads on their kept connections:
    every turn is kept under its own number, and either worker reads the latest as the last turn."""
    import threading

    workers = [ConversationStore(tmp_path / "c.sqlite3", max_turns=100) for _ in range(2)]
    numbers: list[int] = []

    def ask(store: ConversationStore, name: str) -> None:
        for i in range(10):
            numbers.append(store.append("c1", Turn(f"{name} {i}?", f"{name} {i}?")))

    threads = [threading.Thread(target=ask, args=(store, f"w{w}t{t}")) for w, store in enumerate(workers) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 81))
    history = workers[0].history("c1")
    assert [t.seq for t in history] == list(range(1, 81)) and workers[1].last_turn("c1") == history[-1]
