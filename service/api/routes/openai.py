"""An OpenAI-compatible face: `POST /v1/chat/completions` and `GET /v1/models`, for chat clients and SDKs.

Stateless: the conversation is the message history the client sends. Its user turns are resolved
one after another exactly as a `/v1/ask` conversation is, and the last one is answered. The reply's
content is the answer with its [n] markers and a "Källor" list quoting each citation (completion_text.py; for an
English question "Sources", worded as the answer is);
the full citation objects ride along in the extra top-level fields `citations`, `grounded` and
`resolved_question`. A front-end's request for a title, tags or follow-up questions is answered as it asks
(openai_tasks.py). Errors on these routes take OpenAI's shape (errors.py).
"""

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from service.answering.wording import wording_for
from service.api import openai_tasks
from service.api.completion_text import CompletionText, completion_text, count_tokens
from service.api.deps import READ, ChatDep, query_slot
from service.api.errors import ACCESS, OpenAIError, documented
from service.api.presenters import citations_out
from service.api.schemas import CitationOut, FiltersIn, OpenAIErrorOut, Text
from service.api.streaming import SSE_HEADERS, answer_pieces, sse_event
from service.query.retrieval import Filters

MODEL_ID = "auditqa-extractive"
CREATED = 1_767_225_600  # 2026-01-01: when this model id was first served

router = APIRouter(tags=["OpenAI-kompatibelt"], dependencies=[READ])


def serves(path: str) -> bool:
    """Whether a path is one of these routes, whose errors take OpenAI's shape."""
    return path in ("/v1/chat/completions", "/v1/models") or path.startswith("/v1/models/")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type in ("text", "input_text"))
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    # Sampling and tool parameters of the OpenAI schema are accepted and ignored: answers are extractive.
    model_config = ConfigDict(extra="allow")

    model: Text
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1, description="Tokens of the content at most (counted as completion_text.py says); cut at a sentence.")
    max_completion_tokens: int | None = Field(default=None, ge=1, description="The same as max_tokens; the smaller wins when both are sent.")
    filters: FiltersIn | None = Field(default=None, description="auditqa extension (send via extra_body): restrict retrieval.")
    top_k: int | None = Field(default=None, ge=1, le=50, description="auditqa extension: passages retrieved.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


FinishReason = Literal["stop", "length"]


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason = "stop"
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    # auditqa extensions
    grounded: bool
    citations: list[CitationOut]
    resolved_question: str


def _card() -> ModelCard:
    return ModelCard(id=MODEL_ID, created=CREATED, owned_by="auditqa")


NO_422 = "Not sent here: OpenAI has no 422, so an invalid request is a 400 (declared so that no other body is implied)."


def _openai_errors(*statuses: int, described: dict[int, str] | None = None) -> dict:
    """The error statuses of an OpenAI route, every one in OpenAI's shape (validation errors too, as 400)."""
    return documented(*statuses, described=described, models={status: OpenAIErrorOut for status in statuses})


@router.get("/v1/models", response_model=ModelList, responses=_openai_errors(*ACCESS))
def list_models() -> ModelList:
    return ModelList(data=[_card()])


@router.get(
    "/v1/models/{model_id}", response_model=ModelCard,
    responses=_openai_errors(*ACCESS, 404, 422, described={
        404: "Unknown model", 422: NO_422,
    }),
)
def get_model(model_id: str) -> ModelCard:
    if model_id != MODEL_ID:
        raise OpenAIError(404, f"Modellen '{model_id}' finns inte; tillgänglig modell: {MODEL_ID}.", "model", "model_not_found")
    return _card()


def _questions(body: ChatCompletionRequest) -> list[str]:
    if body.model != MODEL_ID:
        raise OpenAIError(404, f"Modellen '{body.model}' finns inte; tillgänglig modell: {MODEL_ID}.", "model", "model_not_found")
    if body.n not in (None, 1):
        raise OpenAIError(400, "Endast n=1 stöds.", "n")
    questions = [m.text().strip() for m in body.messages if m.role == "user"]
    questions = [q for q in questions if q]
    if not questions:
        raise OpenAIError(400, "Meddelandena innehåller ingen fråga från användaren (role 'user').", "messages")
    if body.messages[-1].role != "user":
        raise OpenAIError(400, "Det sista meddelandet ska vara användarens fråga (role 'user').", "messages")
    return questions


def _max_tokens(body: ChatCompletionRequest) -> int | None:
    limits = [n for n in (body.max_tokens, body.max_completion_tokens) if n is not None]
    return min(limits) if limits else None


def _usage(body: ChatCompletionRequest, content: str) -> Usage:
    prompt = sum(count_tokens(m.text()) for m in body.messages)
    completion = count_tokens(content)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    dependencies=[Depends(query_slot)],
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "chat.completion, or chat.completion.chunk events when stream=true"},
        **_openai_errors(*ACCESS, 404, 413, 422, 503, described={
            400: "An invalid request (no user question, the last message not the user's, n > 1, a bad field), or a Host not served.",
            404: "Unknown model",
            422: NO_422,
        }),
    },
)
def chat_completions(body: ChatCompletionRequest, chat: ChatDep):
    questions = _questions(body)
    task_reply = openai_tasks.reply(chat.qa, [(m.role, m.text()) for m in body.messages])
    if task_reply is not None:
        text, grounded, resolved = completion_text(task_reply, [], _max_tokens(body)), False, ""
    else:
        filters = body.filters.to_filters() if body.filters else Filters()
        turn = chat.ask_stateless(questions, filters, body.top_k)
        answer = turn.result.answer
        words = wording_for(turn.result.analysis.language)
        text, grounded, resolved = completion_text(answer.text, citations_out(answer), _max_tokens(body), words), answer.grounded, turn.resolved_question
    finish_reason: FinishReason = "length" if text.cut else "stop"
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    usage = _usage(body, text.content)
    if body.stream:
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        return StreamingResponse(
            _chunks(completion_id, created, text, finish_reason, grounded, resolved, usage if include_usage else None),
            media_type="text/event-stream", headers=SSE_HEADERS,
        )
    return ChatCompletion(
        id=completion_id, created=created, model=MODEL_ID, usage=usage,
        choices=[Choice(message=AssistantMessage(content=text.content), finish_reason=finish_reason)],
        grounded=grounded, citations=text.citations, resolved_question=resolved,
    )


def _chunk(completion_id: str, created: int, delta: dict, finish_reason: str | None = None, **extra: Any) -> str:
    chunk = {
        "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        **extra,
    }
    return sse_event(None, chunk)


def _chunks(
    completion_id: str, created: int, text: CompletionText, finish_reason: FinishReason, grounded: bool, resolved: str, usage: Usage | None
) -> Iterator[str]:
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    for piece in answer_pieces(text.answer):
        yield _chunk(completion_id, created, {"content": piece})
    if text.sources:
        yield _chunk(completion_id, created, {"content": f"\n\n{text.sources}"})
    yield _chunk(
        completion_id, created, {}, finish_reason,
        grounded=grounded, citations=[c.model_dump() for c in text.citations], resolved_question=resolved,
    )
    if usage is not None:
        # OpenAI's last chunk when stream_options.include_usage is set: no choices, the usage of the whole completion.
        yield sse_event(None, {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID, "choices": [], "usage": usage.model_dump()})
    yield sse_event(None, "[DONE]")
