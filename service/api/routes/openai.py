"""An OpenAI-compatible face: `POST /v1/chat/completions` and `GET /v1/models`, for chat clients and SDKs.

Stateless: the conversation is the message history the client sends. Its user turns are resolved
one after another exactly as a `/v1/ask` conversation is, and the last one is answered. The reply's
content is the answer with its [n] markers and a "Källor" list; the full citation objects ride
along in the extra top-level fields `citations`, `grounded` and `resolved_question`.
"""

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from service.answering.wording import passage_place
from service.api.deps import READ, ChatDep, query_slot
from service.api.errors import ACCESS, OpenAIError, documented
from service.api.presenters import citations_out
from service.api.schemas import CitationOut, ErrorOut, FiltersIn, OpenAIErrorOut, Text
from service.api.streaming import SSE_HEADERS, answer_pieces, sse_event
from service.chat.service import ChatResult
from service.query.retrieval import Filters

MODEL_ID = "auditqa-extractive"
CREATED = 1_767_225_600  # 2026-01-01: when this model id was first served

router = APIRouter(tags=["OpenAI-kompatibelt"], dependencies=[READ])


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


class ChatCompletionRequest(BaseModel):
    # Sampling and tool parameters of the OpenAI schema are accepted and ignored: answers are extractive.
    model_config = ConfigDict(extra="allow")

    model: Text
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    n: int | None = Field(default=None, ge=1)
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


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    # auditqa extensions
    grounded: bool
    citations: list[CitationOut]
    resolved_question: str


def _card() -> ModelCard:
    return ModelCard(id=MODEL_ID, created=CREATED, owned_by="auditqa")


@router.get("/v1/models", response_model=ModelList, responses=documented(*ACCESS))
def list_models() -> ModelList:
    return ModelList(data=[_card()])


@router.get(
    "/v1/models/{model_id}", response_model=ModelCard,
    responses=documented(*ACCESS, 404, 422, described={404: "Unknown model"}, models={404: OpenAIErrorOut}),
)
def get_model(model_id: str) -> ModelCard:
    if model_id != MODEL_ID:
        raise OpenAIError(404, f"Modellen '{model_id}' finns inte; tillgänglig modell: {MODEL_ID}.", "model", "model_not_found")
    return _card()


def sources_text(citations: list[CitationOut]) -> str:
    """The "Källor" list: one line per citation, "[n] title (municipality year), avsnitt X, s. P"."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        origin = " ".join(str(v) for v in (c.municipality, c.year) if v)
        place = passage_place(c.section, c.part or "")
        line = f"[{c.n}] {c.title or c.document_id}" + (f" ({origin})" if origin else "") + (f", {place}" if place else "")
        lines.append(line + (f", s. {c.page}" if c.page is not None else ""))
    return "Källor:\n" + "\n".join(lines)


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


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    dependencies=[Depends(query_slot)],
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "chat.completion, or chat.completion.chunk events when stream=true"},
        # OpenAI's shape for what the OpenAI schema rejects (no user question, n > 1, an unknown model); the service's own otherwise.
        **documented(*ACCESS, 404, 413, 422, 503, described={
            400: "No user question, the last message not the user's, or n > 1 (OpenAI's error shape); or a Host not served.",
            404: "Unknown model",
        }, models={400: OpenAIErrorOut | ErrorOut, 404: OpenAIErrorOut}),
    },
)
def chat_completions(body: ChatCompletionRequest, chat: ChatDep):
    filters = body.filters.to_filters() if body.filters else Filters()
    turn: ChatResult = chat.ask_stateless(_questions(body), filters, body.top_k)
    citations = citations_out(turn.result.answer)
    answer = turn.result.answer
    sources = sources_text(citations)
    content = answer.text + (f"\n\n{sources}" if sources else "")
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        return StreamingResponse(
            _chunks(completion_id, created, answer.text, sources, answer.grounded, citations, turn.resolved_question),
            media_type="text/event-stream", headers=SSE_HEADERS,
        )
    return ChatCompletion(
        id=completion_id, created=created, model=MODEL_ID, choices=[Choice(message=AssistantMessage(content=content))],
        grounded=answer.grounded, citations=citations, resolved_question=turn.resolved_question,
    )


def _chunk(completion_id: str, created: int, delta: dict, finish_reason: str | None = None, **extra: Any) -> str:
    chunk = {
        "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        **extra,
    }
    return sse_event(None, chunk)


def _chunks(completion_id: str, created: int, text: str, sources: str, grounded: bool, citations: list[CitationOut], resolved: str) -> Iterator[str]:
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    for piece in answer_pieces(text):
        yield _chunk(completion_id, created, {"content": piece})
    if sources:
        yield _chunk(completion_id, created, {"content": f"\n\n{sources}"})
    yield _chunk(
        completion_id, created, {}, "stop",
        grounded=grounded, citations=[c.model_dump() for c in citations], resolved_question=resolved,
    )
    yield sse_event(None, "[DONE]")
