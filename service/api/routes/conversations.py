"""The caller's conversations: `GET /v1/conversations`, `GET|PATCH|DELETE /v1/conversations/{id}`.

Each key sees only the conversations it started; any other id is a 404, as if it did not exist.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Response, status

from service.api.deps import READ, ChatDep
from service.api.errors import ACCESS, documented
from service.api.presenters import unique_citations
from service.api.schemas import ConversationDetail, ConversationList, ConversationOut, ConversationRename, TurnOut
from service.chat.store import ConversationSummary

router = APIRouter(tags=["Samtal"], dependencies=[READ])
NOT_FOUND = documented(*ACCESS, 404, 422, 503, described={404: "No conversation of this caller has this id"})


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _summary(c: ConversationSummary) -> ConversationOut:
    return ConversationOut(conversation_id=c.id, title=c.title, created_at=_when(c.created_at), updated_at=_when(c.updated_at), turns=c.turns)


def _find(chat, conversation_id: str) -> ConversationSummary | None:
    return next((c for c in chat.conversations() if c.id == conversation_id), None)


@router.get("/v1/conversations", response_model=ConversationList, responses=documented(*ACCESS, 503))
def list_conversations(chat: ChatDep) -> ConversationList:
    return ConversationList(conversations=[_summary(c) for c in chat.conversations()])


@router.get("/v1/conversations/{conversation_id}", response_model=ConversationDetail, responses=NOT_FOUND)
def get_conversation(conversation_id: str, chat: ChatDep) -> ConversationDetail:
    turns = chat.turns(conversation_id)  # raises the 404 for an id that is not the caller's
    summary = _find(chat, conversation_id)
    carried: set[tuple[str, int]] = set()  # one chunk's text once in the whole conversation
    messages = [
        TurnOut(
            turn=t.seq, question=t.question, resolved_question=t.resolved_question, answer=t.answer, grounded=t.grounded,
            answerer=t.answerer, citations=unique_citations(t.citations, carried), created_at=_when(t.created_at),
        )
        for t in turns
    ]
    return ConversationDetail(**_summary(summary).model_dump(), messages=messages)


@router.patch("/v1/conversations/{conversation_id}", response_model=ConversationOut, responses=NOT_FOUND)
def rename_conversation(conversation_id: str, body: ConversationRename, chat: ChatDep) -> ConversationOut:
    chat.rename(conversation_id, body.title)
    return _summary(_find(chat, conversation_id))


@router.delete("/v1/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_conversation(conversation_id: str, chat: ChatDep) -> Response:
    chat.forget(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
