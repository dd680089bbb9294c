"""The FastAPI app: models and indexes load once in the lifespan; domain errors become HTTP errors here only."""

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ingest.catalog import DocumentRecord
from ingest.embedding import EmbeddingModelError, Embedder
from ingest.settings import Settings, get_settings
from ingest.store import StoreError
from service.answering import Answer
from service.conversations import ChatService, ConversationError, ConversationStore
from service.documents_api import router as documents_router
from service.jobs import JobNotFoundError, UploadRejected
from service.openai_api import OpenAIError
from service.openai_api import router as openai_router
from service.qa import DocumentNotFoundError, QAService, QuestionError
from service.retrieval import Filters, IndexNotReadyError, ScoredChunk, UnknownFilterError
from service.schemas import (
    AskRequest,
    AskResponse,
    CitationOut,
    DocumentDetail,
    DocumentList,
    DocumentOut,
    FindingList,
    FindingOut,
    FindingsReportSummary,
    FindingsSummary,
    Health,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from service.streaming import ask_events, sse_response

log = logging.getLogger("auditqa")

NOT_BUILT = "Inget index är byggt ännu. Bygg det med `auditqa ingest` (eller `make run`)."
STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_qa(settings: Settings) -> QAService:
    embedder = Embedder(
        settings.embed_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        batch_size=settings.embed_batch_size,
    )
    qa = QAService(settings, embedder)
    qa.warm_up()
    return qa


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.qa = build_qa(get_settings())
    app.state.conversations = ConversationStore.from_settings(get_settings())
    log.info("auditqa ready: %d documents, %d chunks", app.state.qa.retriever.view.document_count, len(app.state.qa.retriever.view.records))
    yield


app = FastAPI(
    title="auditqa",
    description="Frågor och svar med exakta källhänvisningar ur kommunala revisionsrapporter.",
    version="0.1.0",
    lifespan=lifespan,
)


def get_qa(request: Request) -> QAService:
    return request.app.state.qa


def get_ready_qa(qa: Annotated[QAService, Depends(get_qa)]) -> QAService:
    if not qa.ready:
        raise IndexNotReadyError(NOT_BUILT)
    return qa


QADep = Annotated[QAService, Depends(get_qa)]
ReadyQADep = Annotated[QAService, Depends(get_ready_qa)]


def get_chat(request: Request, qa: ReadyQADep) -> ChatService:
    return ChatService(qa, request.app.state.conversations)


ChatDep = Annotated[ChatService, Depends(get_chat)]


@app.exception_handler(QuestionError)
async def _question_error(_: Request, exc: QuestionError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": f"Ogiltig fråga: {exc}."})


@app.exception_handler(UnknownFilterError)
async def _filter_error(_: Request, exc: UnknownFilterError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": f"Okänt filter: {exc}.", "valid": {exc.field_name: exc.valid}})


@app.exception_handler(IndexNotReadyError)
async def _not_ready(_: Request, exc: IndexNotReadyError) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": NOT_BUILT})


@app.exception_handler(DocumentNotFoundError)
async def _not_found(_: Request, exc: DocumentNotFoundError) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


@app.exception_handler(StoreError)
async def _store_error(_: Request, exc: StoreError) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"Vektorlagret är inte tillgängligt: {exc}"})


@app.exception_handler(EmbeddingModelError)
async def _model_error(_: Request, exc: EmbeddingModelError) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"Embeddingmodellen är inte tillgänglig: {exc}"})


@app.exception_handler(ConversationError)
async def _conversation_error(_: Request, exc: ConversationError) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"Samtalslagret är inte tillgängligt: {exc}"})


@app.exception_handler(OpenAIError)
async def _openai_error(_: Request, exc: OpenAIError) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content=exc.body())


@app.exception_handler(UploadRejected)
async def _upload_rejected(_: Request, exc: UploadRejected) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})


@app.exception_handler(JobNotFoundError)
async def _job_not_found(_: Request, exc: JobNotFoundError) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


@app.exception_handler(RequestValidationError)
async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        problems.append(f"{where or 'begäran'}: {error.get('msg')} (fick {error.get('input')!r})")
    return JSONResponse(status_code=422, content={"detail": "Ogiltig begäran: " + "; ".join(problems)})


@app.exception_handler(Exception)
async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    return JSONResponse(status_code=500, content={"detail": "Ett internt fel inträffade; felet är loggat."})


@app.get("/healthz", response_model=Health, responses={503: {"description": "Index not loaded"}})
def healthz(qa: QADep):
    view = qa.retriever.view
    body = Health(status="ok" if qa.ready else "no_index", documents=view.document_count, chunks=len(view.records))
    if not qa.ready:
        return JSONResponse(status_code=503, content={**body.model_dump(), "detail": NOT_BUILT})
    return body


def _search_result(hit: ScoredChunk) -> SearchResult:
    chunk, meta = hit.record.chunk, hit.record.metadata
    return SearchResult(
        document_id=chunk.document_id, title=meta.title, municipality=meta.municipality, year=meta.year,
        section=chunk.section, heading_path=chunk.heading_path, page=chunk.page, char_start=chunk.char_start,
        char_end=chunk.char_end, text=chunk.text, score=round(hit.score, 6),
    )


@app.post("/v1/search", response_model=SearchResponse)
def search(body: SearchRequest, qa: ReadyQADep) -> SearchResponse:
    filters = body.filters.to_filters() if body.filters else Filters()
    hits = qa.search(body.query, body.top_k, filters)
    return SearchResponse(results=[_search_result(h) for h in hits])


def citations_out(answer: Answer) -> list[CitationOut]:
    out = []
    for c in answer.citations:
        chunk, meta = c.record.chunk, c.record.metadata
        out.append(
            CitationOut(
                n=c.n, document_id=chunk.document_id, title=meta.title, municipality=meta.municipality, year=meta.year,
                section=chunk.section, page=c.record.page_at(c.quote_start), char_start=chunk.char_start, char_end=chunk.char_end,
                text=chunk.text, quote=c.quote, quote_start=c.quote_start, quote_end=c.quote_end,
            )
        )
    return out


@app.post(
    "/v1/ask",
    response_model=AskResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "With stream=true: events answer (pieces), citations, done."}},
)
def ask(body: AskRequest, chat: ChatDep):
    filters = body.filters.to_filters() if body.filters else Filters()
    turn = chat.ask(body.question, body.conversation_id, filters, body.top_k)
    response = AskResponse(
        answer=turn.result.answer.text,
        grounded=turn.result.answer.grounded,
        citations=citations_out(turn.result.answer),
        conversation_id=turn.conversation_id,
        answerer=turn.result.answer.answerer,
        resolved_question=turn.resolved_question,
    )
    return sse_response(ask_events(response)) if body.stream else response


def _document_out(record: DocumentRecord) -> DocumentOut:
    meta = record.metadata
    return DocumentOut(
        document_id=record.document_id, title=meta.title, municipality=meta.municipality, year=meta.year,
        date=meta.date, auditor=meta.auditor, firm=meta.firm, chunks=record.chunk_count,
        pages=len(record.pages) or None,
    )


@app.get("/v1/documents", response_model=DocumentList)
def documents(qa: QADep) -> DocumentList:
    return DocumentList(documents=[_document_out(d) for d in qa.retriever.catalog.documents()])


@app.get("/v1/documents/{document_id}", response_model=DocumentDetail, responses={404: {"description": "Unknown document"}})
def document(document_id: str, qa: QADep) -> DocumentDetail:
    record, text = qa.document(document_id)
    return DocumentDetail(**_document_out(record).model_dump(), text=text)


@app.get("/v1/findings", response_model=FindingList, responses={422: {"description": "Unknown filter value; the valid ones are named"}})
def findings(
    qa: ReadyQADep, municipality: str | None = None, verdict: str | None = None, document_id: str | None = None, kind: str | None = None
) -> FindingList:
    # An empty parameter ("?verdict=") means no filter, as forms send it.
    found = qa.findings(municipality or None, verdict or None, document_id or None, kind or None)
    return FindingList(findings=[FindingOut(**f.to_dict()) for f in found])


@app.get("/v1/findings/summary", response_model=FindingsSummary)
def findings_summary(qa: ReadyQADep) -> FindingsSummary:
    return FindingsSummary(reports=[FindingsReportSummary(**entry) for entry in qa.findings_summary()])


app.include_router(openai_router)
app.include_router(documents_router)
app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@app.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
