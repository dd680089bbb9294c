"""The OpenAI-compatible API, driven by the official `openai` client against uvicorn on loopback."""

import json

import httpx
import openai
import pytest
from fixtures.live_server import live_server

from service.api.presenters import chunk_texts

pytestmark = pytest.mark.slow

MODEL = "auditqa-extractive"
ALVESTA = "alvesta-2018-introduktion-nyanlanda"
HULTSFRED = "hultsfred-2019-asyl-integration"
QUESTION = "Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?"
READ_KEY = "read-0123456789abcdef"


@pytest.fixture(scope="module")
def client(server_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server_url}/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models_lists_the_model(client):
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL]
    assert models.data[0].object == "model" and models.data[0].owned_by == "auditqa"
    assert client.models.retrieve(MODEL).id == MODEL


def test_completion_carries_markers_sources_and_citations(client):
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": QUESTION}])
    assert completion.object == "chat.completion" and completion.model == MODEL
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    content = choice.message.content
    answer, sources = content.split("\n\nKällor:\n")
    extra = completion.model_extra
    assert extra["grounded"] is True
    citations = extra["citations"]
    assert citations and {c["document_id"] for c in citations} == {ALVESTA}
    lines = sources.split("\n")
    assert len(lines) == len(citations)
    for citation, line, text in zip(citations, lines, chunk_texts(citations), strict=True):
        assert f"[{citation['n']}]" in answer
        place = f"[{citation['n']}] Alvesta 2018, avsnitt {citation['section']}" + (f", s. {citation['page']}" if citation["page"] is not None else "")
        assert line.startswith(f"{place}: ”") and line.endswith("”")
        assert citation["quote"] in text
        shown = line.removeprefix(f"{place}: ”").removesuffix("”")
        assert all(" ".join(part.split()) in " ".join(citation["quote"].split()) for part in shown.split(" … "))
    usage = completion.usage
    assert usage.prompt_tokens == 8 and usage.completion_tokens > 0  # Vilka kontrollmål bedömdes ej uppfyllda i Alvesta ?
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_streamed_completion_matches_the_plain_one(client):
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model=MODEL, messages=messages)
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    assert len(chunks) >= 3
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == plain.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    last = chunks[-1].model_extra
    assert last["grounded"] is True and last["citations"] == plain.model_extra["citations"]


def test_an_english_question_streams_its_english_frame_and_sources(client):
    messages = [
        {"role": "user", "content": "Which recommendations were given in Alvesta?"},
        {"role": "assistant", "content": "According to the reports (quoted in Swedish): …"},
        {"role": "user", "content": "And in Hultsfred?"},
    ]
    plain = client.chat.completions.create(model=MODEL, messages=messages)
    content = plain.choices[0].message.content
    assert plain.model_extra["resolved_question"] == "Which recommendations were given in Hultsfred?"
    answer, sources = content.split("\n\nSources:\n")
    assert answer.startswith("According to the reports (quoted in Swedish):\nHultsfred (2019) – 4 recommendations (rekommendationer):\n")
    assert sources.startswith("[1] Hultsfred 2019, section ") and "Källor" not in content
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    assert chunks[-1].model_extra["citations"] == plain.model_extra["citations"]


def test_stream_ends_with_done_sentinel(server_url):
    body = {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    response = httpx.post(f"{server_url}/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.endswith("data: [DONE]\n\n")


def test_history_resolves_follow_ups(client):
    messages = [
        {"role": "system", "content": "Svara på svenska."},
        {"role": "user", "content": "Vilka rekommendationer gavs i Alvesta?"},
        {"role": "assistant", "content": "Alvesta (2018) – 2 rekommendationer: ..."},
        {"role": "user", "content": [{"type": "text", "text": "Och i Hultsfred?"}]},
    ]
    completion = client.chat.completions.create(model=MODEL, messages=messages)
    extra = completion.model_extra
    assert extra["resolved_question"] == "Vilka rekommendationer gavs i Hultsfred?"
    assert extra["grounded"] is True
    assert {c["document_id"] for c in extra["citations"]} == {HULTSFRED}
    assert "\n[1] Hultsfred 2019, avsnitt " in completion.choices[0].message.content


def test_streamed_history_resolves_follow_ups(client):
    messages = [{"role": "user", "content": "Vilka rekommendationer gavs i Alvesta?"}, {"role": "user", "content": "Och Umeå?"}]
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    assert chunks[-1].model_extra["resolved_question"] == "Vilka rekommendationer gavs i Umeå?"


def test_refusal_has_no_sources(client):
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hur många flyktingar tog Göteborg emot 2017?"}])
    content = completion.choices[0].message.content
    assert completion.model_extra["grounded"] is False and completion.model_extra["citations"] == []
    assert content.startswith("Jag hittar inget stöd i rapporterna") and "Källor" not in content


def test_unknown_model_is_an_openai_error(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    error = raised.value.body
    assert error["code"] == "model_not_found" and MODEL in error["message"]


def test_messages_without_a_user_question_are_rejected(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "system", "content": "Du är en hjälpsam assistent."}])


def test_disconnecting_mid_stream_leaves_the_server_serving(server_url, client):
    body = {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with httpx.stream("POST", f"{server_url}/v1/chat/completions", json=body, timeout=120) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                break  # one chunk read; hang up
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": QUESTION}])
    assert completion.model_extra["grounded"] is True


def test_invalid_requests_are_bad_request_errors_with_the_swedish_message(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x" * 2001}])
    assert "2001 tecken" in raised.value.body["message"] and "2001 tecken" in str(raised.value)
    assert raised.value.param == "messages" and raised.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": QUESTION}], max_tokens=0)
    assert raised.value.param == "max_tokens"


@pytest.fixture(scope="module")
def keyed_url(corpus_settings, tmp_path_factory):
    log = tmp_path_factory.mktemp("keyed-server") / "uvicorn.log"
    with live_server(corpus_settings.home, log, env={"AUDITQA_API_KEYS": f"read:{READ_KEY}"}) as url:
        yield url


def test_a_missing_or_wrong_key_is_an_authentication_error_in_swedish(keyed_url):
    wrong = openai.OpenAI(base_url=f"{keyed_url}/v1", api_key="read-fedcba9876543210", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        wrong.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": QUESTION}])
    assert "API-nyckeln är ogiltig" in raised.value.body["message"] and raised.value.code == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    right = openai.OpenAI(base_url=f"{keyed_url}/v1", api_key=READ_KEY, max_retries=0, timeout=120)
    assert right.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": QUESTION}]).model_extra["grounded"]


def test_max_tokens_cuts_at_a_cited_sentence_with_finish_reason_length(client):
    messages = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model=MODEL, messages=messages)
    cut = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=whole.usage.completion_tokens - 1)
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens < whole.usage.completion_tokens
    answer = cut.choices[0].message.content.split("\n\nKällor:\n")[0]
    assert whole.choices[0].message.content.startswith(answer) and "[1]" in answer
    assert client.chat.completions.create(model=MODEL, messages=messages, max_completion_tokens=10_000).choices[0].finish_reason == "stop"


def test_a_stream_reports_its_usage_when_asked(client):
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True, stream_options={"include_usage": True}
    ))
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 8
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.total_tokens == 8 + chunks[-1].usage.completion_tokens


WEBUI_HISTORY = "<chat_history>\nUSER: Vilka rekommendationer gavs i Hultsfred?\nASSISTANT: Hultsfred (2019) – 3 rekommendationer …\n</chat_history>"


def test_front_end_title_tags_and_follow_up_requests(client):
    def run(prompt: str) -> str:
        completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": prompt}])
        assert completion.model_extra["grounded"] is False and completion.model_extra["citations"] == []
        return completion.choices[0].message.content

    title = run(f'### Task:\nGenerate a concise title summarizing the chat history.\nJSON format: {{ "title": "…" }}\n{WEBUI_HISTORY}')
    assert json.loads(title) == {"title": "Rekommendationer i Hultsfred"}
    tags = run(f'### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history.\nJSON format: {{ "tags": [] }}\n{WEBUI_HISTORY}')
    assert json.loads(tags) == {"tags": ["Kommunal revision", "Hultsfred", "Rekommendationer"]}
    follow_ups = json.loads(run(
        f'### Task:\nSuggest 3-5 relevant follow-up questions the user might ask next.\nJSON format: {{ "follow_ups": [] }}\n{WEBUI_HISTORY}'
    ))["follow_ups"]
    assert 3 <= len(follow_ups) <= 5 and "Vilka rekommendationer gavs i Hultsfred?" not in follow_ups
    for question in follow_ups:  # each one answered from the reports by the real model
        completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": question}])
        assert completion.model_extra["grounded"] is True, question
        assert {c["document_id"] for c in completion.model_extra["citations"]} == {HULTSFRED}
    librechat = run("Provide a concise, 5-word-or-less title for the conversation. Only return the title itself.\n\nConversation:\nUser: Vilka kontrollmål bedömdes ej uppfyllda i Alvesta?\nAI: …")
    assert librechat == "Ej uppfyllda kontrollmål i Alvesta"
    # An English conversation gets its title in English.
    english = run("Provide a concise, 5-word-or-less title for the conversation. Only return the title itself.\n\nConversation:\nUser: Which recommendations were given in Hultsfred?\nAI: …")
    assert english == "Recommendations in Hultsfred"
    # Open WebUI's search-query generation (its default template's wording) gets the follow-up made self-contained.
    queries = run(
        "### Task:\nAnalyze the chat history to determine the necessity of generating search queries, in the given language.\n"
        '### Output:\nStrictly return in JSON format: \n{\n  "queries": ["query1", "query2"]\n}\n\n'
        f"### Chat History:\n{WEBUI_HISTORY.replace('</chat_history>', 'USER: Och i Alvesta?' + chr(10) + '</chat_history>')}"
    )
    assert json.loads(queries) == {"queries": ["Vilka rekommendationer gavs i Alvesta?"]}
