"""Health, search and questions: `GET /healthz`, `POST /v1/search`, `POST /v1/ask`."""

from collections.abc import Callable

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from service.answering.qa import QAService
from service.api.deps import READ, ChatDep, QADep, ReadyVisibleQADep, query_slot
from service.api.errors import ACCESS, NOT_BUILT, describe, documented
from service.api.presenters import citations_out, page_out, search_result
from service.api.schemas import AskRequest, AskResponse, Health, HealthUnavailable, SearchRequest, SearchResponse
from service.api.streaming import ask_events, sse_response
from service.query.retrieval import Filters, IndexNotReadyError

router = APIRouter()


def _probe(check: Callable[[], object]) -> str:
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - whatever the dependency raises is what the health check reports
        return describe(exc)[1].get("detail") or f"{type(exc).__name__}: {exc}"
    return "ok"


def _lexical_loaded(qa: QAService) -> None:
    if qa.retriever.view.lexical is None:
        raise IndexNotReadyError("BM25-indexet är inte inläst")


@router.get(
    "/healthz",
    response_model=Health,
    responses=documented(400, 503, described={503: "Index not loaded, or a dependency down"}, models={503: HealthUnavailable}),
)
def healthz(qa: QADep):
    """Each dependency is asked, not assumed: a stopped Chroma server or an unreadable catalog shows here."""
    view = qa.retriever.view
    dependencies = {
        "catalog": _probe(lambda: qa.retriever.catalog.generation),
        "vectors": _probe(qa.retriever.store.count),
        "lexical": _probe(lambda: _lexical_loaded(qa)) if qa.ready else "ok",
        "model": _probe(lambda: qa.embedder.embed_query("hälsa")),
    }
    down = any(state != "ok" for state in dependencies.values())
    status = "unavailable" if down else "ok" if qa.ready else "no_index"
    body = Health(status=status, documents=view.document_count, chunks=len(view.records), dependencies=dependencies)
    if status == "no_index":
        return JSONResponse(status_code=503, content={**body.model_dump(), "detail": NOT_BUILT})
    if down:
        detail = "; ".join(f"{name}: {state}" for name, state in dependencies.items() if state != "ok")
        return JSONResponse(status_code=503, content={**body.model_dump(), "detail": detail}, headers={"Retry-After": str(qa.settings.retry_after_s)})
    return body


@router.post("/v1/search", response_model=SearchResponse, dependencies=[READ, Depends(query_slot)], responses=documented(*ACCESS, 413, 422, 503))
def search(body: SearchRequest, qa: ReadyVisibleQADep) -> SearchResponse:
    filters = body.filters.to_filters() if body.filters else Filters()
    return SearchResponse(results=[search_result(h) for h in qa.search(body.query, body.top_k, filters)])


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    dependencies=[READ, Depends(query_slot)],
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "With stream=true: events answer (pieces), citations, done."},
        **documented(*ACCESS, 413, 422, 503),
    },
)
def ask(body: AskRequest, chat: ChatDep):
    filters = body.filters.to_filters() if body.filters else Filters()
    turn = chat.ask(body.question, body.conversation_id, filters, body.top_k, keep=body.conversation, offset=body.offset, limit=body.limit)
    response = AskResponse(
        answer=turn.result.answer.text,
        grounded=turn.result.answer.grounded,
        citations=citations_out(turn.result.answer),
        conversation_id=turn.conversation_id,
        answerer=turn.result.answer.answerer,
        resolved_question=turn.resolved_question,
        turn=turn.turn,
        page=page_out(turn.result.answer.page),
    )
    return sse_response(ask_events(response)) if body.stream else response
