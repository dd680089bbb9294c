"""Health, search and questions: `GET /healthz`, `POST /v1/search`, `POST /v1/ask`."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.api.deps import READ, ChatDep, QADep, ReadyQADep
from service.api.errors import NOT_BUILT
from service.api.presenters import citations_out, search_result
from service.api.schemas import AskRequest, AskResponse, Health, SearchRequest, SearchResponse
from service.api.streaming import ask_events, sse_response
from service.query.retrieval import Filters

router = APIRouter()


@router.get("/healthz", response_model=Health, responses={503: {"description": "Index not loaded"}})
def healthz(qa: QADep):
    view = qa.retriever.view
    body = Health(status="ok" if qa.ready else "no_index", documents=view.document_count, chunks=len(view.records))
    if not qa.ready:
        return JSONResponse(status_code=503, content={**body.model_dump(), "detail": NOT_BUILT})
    return body


@router.post("/v1/search", response_model=SearchResponse, dependencies=[READ])
def search(body: SearchRequest, qa: ReadyQADep) -> SearchResponse:
    filters = body.filters.to_filters() if body.filters else Filters()
    return SearchResponse(results=[search_result(h) for h in qa.search(body.query, body.top_k, filters)])


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    dependencies=[READ],
    responses={200: {"content": {"text/event-stream": {}}, "description": "With stream=true: events answer (pieces), citations, done."}},
)
def ask(body: AskRequest, chat: ChatDep):
    filters = body.filters.to_filters() if body.filters else Filters()
    turn = chat.ask(body.question, body.conversation_id, filters, body.top_k, keep=body.conversation)
    response = AskResponse(
        answer=turn.result.answer.text,
        grounded=turn.result.answer.grounded,
        citations=citations_out(turn.result.answer),
        conversation_id=turn.conversation_id,
        answerer=turn.result.answer.answerer,
        resolved_question=turn.resolved_question,
        turn=turn.turn,
    )
    return sse_response(ask_events(response)) if body.stream else response
