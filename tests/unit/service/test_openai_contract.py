"""The OpenAI-compatible face on the real app (fake embedder): errors in OpenAI's shape, usage, max_tokens, the
"Källor" text with its quotes, the front-ends' title, tags and follow-up requests, and CORS preflight."""

import json

import pytest
from fastapi.testclient import TestClient
from fixtures.fake_embedder import FakeEmbedder
from fixtures.homes import ingested_corpus, make_settings

from service.api.app import create_app
from service.api.completion_text import QUOTE_HEAD_WORDS, QUOTE_TAIL_WORDS, count_tokens, shown_quote

MODEL = "auditqa-extractive"
READ_KEY = "read-0123456789abcdef"
KEYS = f"read:{READ_KEY}"
QUESTION = "Vilka rekommendationer gavs i Alvesta?"


def ask(question: str = QUESTION, **extra) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": question}], **extra}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return ingested_corpus(tmp_path_factory, "openai-home")


@pytest.fixture(scope="module")
def embedder():
    return FakeEmbedder()


@pytest.fixture(scope="module")
def client(settings, embedder):
    with TestClient(create_app(settings, embedder)) as client:
        yield client


@pytest.fixture
def app_with(settings, embedder):
    """A client of the app over the module's home with some settings changed."""
    opened = []

    def build(**changes) -> TestClient:
        test_client = TestClient(create_app(make_settings(settings.home, **changes), embedder))
        opened.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


def openai_error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


# -- errors in OpenAI's shape ---------------------------------------------------------------------


def test_auth_errors_on_the_openai_routes_are_in_openai_shape(app_with):
    keyed = app_with(api_keys=KEYS)
    for response in (keyed.get("/v1/models"), keyed.post("/v1/chat/completions", json=ask())):
        assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
        error = openai_error(response)
        assert "API-nyckel krävs" in error["message"] and error["code"] == "invalid_api_key" and error["type"] == "authentication_error"
    wrong = keyed.get("/v1/models/auditqa-extractive", headers={"Authorization": "Bearer read-fedcba9876543210"})
    assert wrong.status_code == 401 and "ogiltig" in openai_error(wrong)["message"]
    # Every other endpoint keeps {"detail": …}.
    assert "API-nyckel krävs" in keyed.get("/v1/documents").json()["detail"]


def test_a_forbidden_origin_and_a_large_body_are_openai_errors(app_with):
    client = app_with(max_json_kb=1)
    refused = client.post("/v1/chat/completions", json=ask(), headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "https://evil.example" in openai_error(refused)["message"]
    large = client.post("/v1/chat/completions", json=ask("kontrollmål " * 200))
    assert large.status_code == 413 and "1 kB" in openai_error(large)["message"]
    assert "1 kB" in client.post("/v1/ask", json={"question": "kontrollmål " * 200}).json()["detail"]


def test_the_rate_limit_is_an_openai_429_with_retry_after(app_with):
    client = app_with(rate_limit_per_minute=1)
    assert client.get("/v1/models").status_code == 200
    response = client.post("/v1/chat/completions", json=ask())
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    error = openai_error(response)
    assert error["code"] == "rate_limit_exceeded" and "högst 1 per minut" in error["message"]


@pytest.mark.parametrize(("body", "param", "quoted"), [
    ({"model": MODEL, "messages": []}, "messages", "messages"),
    ({"model": MODEL, "messages": [{"role": "robot", "content": "Hej"}]}, "messages.0.role", "robot"),
    ({"model": MODEL, "messages": [{"role": "user", "content": "\ud800"}]}, "messages.0.content", "surrogat"),
    ({"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": "\udc80"}]}]}, "messages.0.content", "U+DC80"),
    (ask("x" * 2001), "messages", "2001 tecken"),
    (ask(filters={"municipality": ["Atlantis"]}), "filters", "Atlantis"),
    (ask(max_tokens=0), "max_tokens", "max_tokens"),
])
def test_invalid_requests_are_400_in_openai_shape(client, body, param, quoted):
    response = client.post("/v1/chat/completions", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = openai_error(response)
    assert error["type"] == "invalid_request_error" and error["param"] == param and quoted in error["message"]


def test_no_index_and_a_wrong_method_are_openai_errors(tmp_path, client):
    with TestClient(create_app(make_settings(tmp_path / "empty"), FakeEmbedder())) as empty:
        response = empty.post("/v1/chat/completions", json=ask())
    assert response.status_code == 503 and "auditqa ingest" in openai_error(response)["message"]
    wrong_method = client.get("/v1/chat/completions")
    assert wrong_method.status_code == 405 and openai_error(wrong_method)["message"] == "Method Not Allowed"
    assert client.get("/v1/documents/finns-inte").json()["detail"]


# -- usage, max_tokens, the Källor text -----------------------------------------------------------


def test_a_completion_counts_its_tokens_and_quotes_its_sources(client):
    body = client.post("/v1/chat/completions", json=ask()).json()
    content = body["choices"][0]["message"]["content"]
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    # The rule: a run of letters and digits is a token, every other non-space character too.
    assert usage["prompt_tokens"] == 6  # Vilka rekommendationer gavs i Alvesta ?
    assert usage["completion_tokens"] == count_tokens(content) and usage["total_tokens"] == 6 + usage["completion_tokens"]
    answer, sources = content.split("\n\nKällor:\n")
    lines = sources.split("\n")
    assert len(lines) == len(body["citations"])
    for citation, line in zip(body["citations"], lines, strict=True):
        assert line.startswith(f"[{citation['n']}] Alvesta 2018, avsnitt {citation['section']}: ”")
        assert line.endswith(f"{citation['quote']}”")  # short quotes whole


def test_long_quotes_are_shortened_around_an_ellipsis_never_altered():
    quote = " ".join(f"ord{i}" for i in range(40))
    shown = shown_quote(quote)
    head, tail = shown.split(" … ")
    assert quote.startswith(head) and quote.endswith(tail) and len(shown.split()) == QUOTE_HEAD_WORDS + QUOTE_TAIL_WORDS + 1
    assert shown_quote("Kort citat\növer två rader.") == "Kort citat över två rader."


def test_max_tokens_cuts_after_a_whole_cited_sentence(client):
    whole = client.post("/v1/chat/completions", json=ask()).json()
    tokens = whole["usage"]["completion_tokens"]
    assert client.post("/v1/chat/completions", json=ask(max_tokens=tokens)).json()["choices"][0]["finish_reason"] == "stop"
    cut = client.post("/v1/chat/completions", json=ask(max_tokens=tokens - 1)).json()
    choice = cut["choices"][0]
    assert choice["finish_reason"] == "length" and cut["usage"]["completion_tokens"] <= tokens - 1
    answer, sources = choice["message"]["content"].split("\n\nKällor:\n")
    assert [c["n"] for c in cut["citations"]] == [1] and "[2]" not in answer and sources.startswith("[1] ")
    assert whole["choices"][0]["message"]["content"].startswith(answer)
    # max_completion_tokens is the same limit; too few for even the first cited sentence cuts at the token limit.
    tiny = client.post("/v1/chat/completions", json=ask(max_completion_tokens=5)).json()
    assert tiny["choices"][0]["finish_reason"] == "length" and tiny["usage"]["completion_tokens"] == 5
    assert tiny["choices"][0]["message"]["content"] == "Alvesta (2018) –"


def test_a_stream_ends_with_the_usage_chunk_when_asked(client):
    body = ask(stream=True, stream_options={"include_usage": True}, max_tokens=30)
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["prompt_tokens"] == 6
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    assert usage_chunk["usage"]["completion_tokens"] == count_tokens(content) <= 30
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    with client.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as plain:
        assert all('"usage"' not in line for line in plain.iter_lines())


# -- front-ends' title, tags and follow-up requests -----------------------------------------------

# Shortened from the front-ends' own prompts; the phrases openai_tasks.TASKS recognises are theirs.
HISTORY = "<chat_history>\nUSER: Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?\nASSISTANT: Alvesta (2018) – 1 kontrollmål …\nKällor:\n[1] …\n</chat_history>"
WEBUI_TITLE = f'### Task:\nGenerate a concise title summarizing the chat history.\n### Output:\nJSON format: {{ "title": "your concise title here" }}\n### Chat History:\n{HISTORY}'
WEBUI_OLD_TITLE = f"Create a concise, 3-5 word title with an emoji as a title for the chat history, in the given language.\n\nChat History:\n{HISTORY}"
WEBUI_TAGS = f'### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history.\n### Output:\nJSON format: {{ "tags": ["tag1", "tag2"] }}\n### Chat History:\n{HISTORY}'
WEBUI_FOLLOW_UPS = (
    "### Task:\nSuggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next in this conversation.\n"
    f'### Output:\nJSON format: {{ "follow_ups": ["Question 1?", "Question 2?"] }}\n### Chat History:\n{HISTORY}'
)
# Open WebUI's DEFAULT_QUERY_GENERATION_PROMPT_TEMPLATE, shortened (its task, format and output lines are verbatim).
WEBUI_QUERIES = (
    "### Task:\nAnalyze the chat history to determine the necessity of generating search queries, in the given language. "
    "By default, **prioritize generating 1-3 broad and relevant search queries** unless it is absolutely certain that no "
    "additional information is required.\n\n### Guidelines:\n- Respond **EXCLUSIVELY** with a JSON object.\n"
    '- When generating search queries, respond in the format: { "queries": ["query1", "query2"] }, ensuring each query is '
    'distinct, concise, and relevant to the topic.\n\n### Output:\nStrictly return in JSON format: \n{\n  "queries": ["query1", "query2"]\n}\n\n'
    "### Chat History:\n<chat_history>\nUSER: Vilka rekommendationer gavs i Alvesta?\nASSISTANT: Alvesta (2018) – 2 rekommendationer …\n"
    "USER: Och i Hultsfred?\n</chat_history>\n"
)
ENGLISH_HISTORY = "<chat_history>\nUSER: Which control objectives were not met in Alvesta?\nASSISTANT: According to the reports …\n</chat_history>"
LIBRECHAT_TITLE = (
    "Provide a concise, 5-word-or-less title for the conversation, using title case conventions. Only return the title itself.\n\n"
    "Conversation:\nUser: Vilka rekommendationer gavs i Hultsfred?\nAI: Hultsfred (2019) – 3 rekommendationer: …"
)


def task(client, prompt: str, **extra) -> dict:
    response = client.post("/v1/chat/completions", json=ask(prompt, **extra))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grounded"] is False and body["citations"] == [] and "Källor" not in body["choices"][0]["message"]["content"]
    return body


def test_a_title_request_gets_a_title_from_the_first_question(client):
    assert json.loads(task(client, WEBUI_TITLE)["choices"][0]["message"]["content"]) == {"title": "Ej uppfyllda kontrollmål i Alvesta"}
    assert task(client, WEBUI_OLD_TITLE)["choices"][0]["message"]["content"] == "Ej uppfyllda kontrollmål i Alvesta"
    assert task(client, LIBRECHAT_TITLE)["choices"][0]["message"]["content"] == "Rekommendationer i Hultsfred"
    # LibreChat may send the conversation as the messages before its prompt.
    messages = [{"role": "user", "content": "Hur många nyanlända tog Alvesta emot?"}, {"role": "assistant", "content": "…"},
                {"role": "user", "content": "Provide a concise, 5-word-or-less title for the conversation. Only return the title itself."}]
    body = client.post("/v1/chat/completions", json={"model": MODEL, "messages": messages}).json()
    assert body["choices"][0]["message"]["content"] == "Nyanlända i Alvesta"


def test_a_tags_request_gets_the_field_the_municipality_and_the_topic(client):
    content = task(client, WEBUI_TAGS)["choices"][0]["message"]["content"]
    assert json.loads(content) == {"tags": ["Kommunal revision", "Alvesta", "Kontrollmål"]}


def test_follow_ups_are_questions_the_reports_answer(client):
    suggested = json.loads(task(client, WEBUI_FOLLOW_UPS)["choices"][0]["message"]["content"])["follow_ups"]
    assert 3 <= len(suggested) <= 5 and all("Alvesta" in q for q in suggested)
    assert "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?" not in suggested  # asked already
    assert "Vilka rekommendationer gavs i Alvesta?" in suggested
    for question in suggested:
        answer = client.post("/v1/ask", json={"question": question}).json()
        assert answer["grounded"] and answer["answerer"] == "findings", (question, answer["answer"])
    # Without a municipality in the conversation: the reports that assess kontrollmål, and a comparison.
    general = WEBUI_FOLLOW_UPS.replace("i Alvesta?", "i rapporterna?")
    assert "Vilken kommun fick den mest kritiska bedömningen?" in json.loads(task(client, general)["choices"][0]["message"]["content"])["follow_ups"]


def test_a_search_query_request_gets_the_latest_question_made_self_contained(client):
    body = task(client, WEBUI_QUERIES)
    assert json.loads(body["choices"][0]["message"]["content"]) == {"queries": ["Vilka rekommendationer gavs i Hultsfred?"]}
    assert body["resolved_question"] == ""
    # Nothing asked yet: nothing to search for, in the form the prompt gives for that.
    empty = WEBUI_QUERIES[: WEBUI_QUERIES.index("<chat_history>")] + "<chat_history>\n</chat_history>"
    assert json.loads(task(client, empty)["choices"][0]["message"]["content"]) == {"queries": []}


def test_an_english_conversation_gets_an_english_title_tags_and_follow_ups(client):
    def english(prompt: str) -> dict:
        return json.loads(task(client, prompt.replace(HISTORY, ENGLISH_HISTORY))["choices"][0]["message"]["content"])

    assert english(WEBUI_TITLE) == {"title": "Control objectives not met in Alvesta"}
    assert english(WEBUI_TAGS) == {"tags": ["Municipal audit", "Alvesta", "Control objectives"]}
    suggested = english(WEBUI_FOLLOW_UPS)["follow_ups"]
    assert 3 <= len(suggested) <= 5 and "Which recommendations were given in Alvesta?" in suggested
    assert "Which control objectives were not met in Alvesta?" not in suggested  # asked already
    for question in suggested:  # each answered from the findings, in the English frame
        answer = client.post("/v1/ask", json={"question": question}).json()
        assert answer["grounded"] and answer["answerer"] == "findings", (question, answer["answer"])
        assert answer["answer"].startswith("According to the reports"), question
    # Without a municipality: the English questions about each report that assesses kontrollmål.
    general = json.loads(task(client, WEBUI_FOLLOW_UPS.replace(HISTORY, ENGLISH_HISTORY.replace(" in Alvesta", "")))["choices"][0]["message"]["content"])
    assert len(general["follow_ups"]) == 5 and all(q.startswith(("Which", "How", "Summarise")) for q in general["follow_ups"]), general


def test_a_long_task_prompt_is_no_question_too_long(client):
    long_history = WEBUI_FOLLOW_UPS.replace("ASSISTANT: Alvesta (2018) – 1 kontrollmål …", "ASSISTANT: " + "lång text " * 400)
    assert len(long_history) > 2000
    task(client, long_history)


def test_an_ordinary_question_about_titles_is_answered(client):
    body = client.post("/v1/chat/completions", json=ask("Vad heter rapporten om Alvesta?")).json()
    assert body["resolved_question"] == "Vad heter rapporten om Alvesta?"


# -- CORS ----------------------------------------------------------------------------------------

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/models"])
def test_preflight_on_the_openai_routes_follows_the_cors_origins(app_with, path):
    cors = app_with(cors_origins=["https://chat.intra"], api_keys=KEYS)
    allowed = cors.options(path, headers={**PREFLIGHT, "Origin": "https://chat.intra"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://chat.intra"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")}
    other = cors.options(path, headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    # Without AUDITQA_CORS_ORIGINS no origin gets CORS headers.
    assert "access-control-allow-origin" not in app_with().options(path, headers={**PREFLIGHT, "Origin": "https://chat.intra"}).headers


def test_an_allowed_origin_reads_answers_and_errors(app_with):
    cors = app_with(cors_origins=["https://chat.intra"], api_keys=KEYS)
    origin = {"Origin": "https://chat.intra"}
    answered = cors.post("/v1/chat/completions", json=ask(), headers={**origin, "Authorization": f"Bearer {READ_KEY}"})
    assert answered.status_code == 200 and answered.headers["access-control-allow-origin"] == "https://chat.intra"
    refused = cors.post("/v1/chat/completions", json=ask(), headers=origin)
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "https://chat.intra"
    assert "API-nyckel" in openai_error(refused)["message"]
