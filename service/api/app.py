"""Where HTTP starts: `create_app(settings)` builds the FastAPI app; models and indexes load once in its lifespan.

Serve it with `uvicorn --factory service.api.app:create_app` (what `auditqa serve` does); tests build their own
app over a test home with `create_app(Settings(home=...))` and run it under `with TestClient(app)`.
"""

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ingest.config import Settings, get_settings
from ingest.embedding import Embedder
from ingest.index.vectors import VectorStore
from ingest.pipeline import Ingestor
from service.admission import QueryGate
from service.answering.qa import QAService
from service.api import collector, docs, errors
from service.api.freshness import ViewFreshness
from service.api.middleware import RequestGuardMiddleware, SecurityHeadersMiddleware
from service.api.ratelimit import RateLimiter
from service.api.routes import ask, conversations, documents, feedback, findings, openai
from service.api.security import KeyRing, allowed_hosts, allowed_origins, log_mode
from service.chat.feedback import FeedbackStore
from service.chat.store import ConversationStore
from service.jobs import reconcile_uploads
from service.query.retrieval import HybridRetriever

log = logging.getLogger("auditqa")

STATIC_DIR = Path(__file__).resolve().parent / "static"
# How long SIGTERM waits for a running job to stop at its next stage boundary (a group of 4 chunks embeds in about a
# second); past that the process exits and the job is left as a crash leaves one, with the old version live.
SHUTDOWN_JOB_WAIT_S = 8.0


def build_qa(settings: Settings, embedder: Embedder | None = None, store: VectorStore | None = None) -> QAService:
    """The question-answering service with its model and indexes loaded (the lifespan's and the CLI's)."""
    embedder = embedder or Embedder.from_settings(settings)
    qa = QAService(settings, embedder, retriever=HybridRetriever(settings, embedder, store=store))
    qa.warm_up()
    return qa


def _load_vectors(store: VectorStore) -> None:
    try:
        store.load()
    except Exception:  # noqa: BLE001 - the first query loads them instead; /healthz reports a store that is down
        log.exception("loading the vector indexes at start-up failed")


def _finish_interrupted_deletes(qa: QAService) -> None:
    """A delete cut short by a crash or a failed store is finished before the first request, so that no document is
    left half deleted; with the store still down it stays whole and listed, and the next job tries again."""
    retriever = qa.retriever
    try:
        finished = Ingestor(qa.settings, qa.embedder, store=retriever.store, catalog=retriever.catalog).finish_deletes()
    except Exception:  # noqa: BLE001 - the service starts anyway; the documents concerned are still whole
        log.exception("finishing interrupted deletes failed; they are retried by the next job")
        return
    if finished:
        log.info("finished interrupted deletes: %s", ", ".join(finished))
        qa.reload()


def _reconcile_uploads(qa: QAService) -> None:
    """Files in uploads/ that a job killed with the previous process left (its stop outlasted SHUTDOWN_JOB_WAIT_S)."""
    try:
        done = reconcile_uploads(qa.settings.uploads_path, qa.retriever.catalog)
    except Exception:  # noqa: BLE001 - the service starts anyway; the leftovers wait for the next start
        log.exception("putting right the uploads a killed job left failed")
        return
    for line in done:
        log.warning("uploads: %s", line)


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    log_mode(app.state.keys, settings)
    # Chroma's indexes load before the first request: on first use they would hold up /healthz and the first question
    # that quotes a sentence by seconds. Chroma holds the GIL while it loads, so the thread overlaps only the rest of
    # start-up's waits, not its Python work (docs/scale.md, "Start-up at 1,000 reports").
    with collector.building():
        store = VectorStore(settings)
        loading = threading.Thread(target=_load_vectors, args=(store,), name="vector-load", daemon=True)
        loading.start()
        app.state.qa = build_qa(settings, app.state.embedder, store)
        app.state.freshness = ViewFreshness(settings.view_check_interval_s)
        _finish_interrupted_deletes(app.state.qa)
        _reconcile_uploads(app.state.qa)
        app.state.conversations = ConversationStore.from_settings(settings)
        app.state.feedback = FeedbackStore(settings.feedback_path)
    view = app.state.qa.retriever.view
    log.info("auditqa ready: %d documents, %d chunks", view.document_count, len(view.records))
    try:
        yield
    finally:
        loading.join(SHUTDOWN_JOB_WAIT_S)
        jobs = getattr(app.state, "jobs", None)
        if jobs is not None:
            del app.state.jobs
            if jobs.close(timeout=SHUTDOWN_JOB_WAIT_S):
                log.info("job worker stopped")
            else:
                log.warning("a job was still running after %g s; it stops with the process, the next start puts its files right", SHUTDOWN_JOB_WAIT_S)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The app over `settings` (default: the environment's); `embedder` lets tests share one loaded model.

    Raises KeyConfigError when the API keys configured cannot be read.
    """
    app = FastAPI(
        title="auditqa",
        description="Frågor och svar med exakta källhänvisningar ur kommunala revisionsrapporter.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    settings = app.state.settings = settings or get_settings()
    app.state.embedder = embedder
    app.state.keys = KeyRing.from_settings(settings)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.query_gate = QueryGate(settings.max_concurrent_queries, settings.query_queue_timeout_s)
    respond = errors.responder(openai.serves, settings.retry_after_s)
    errors.install(app, respond)
    for module in (ask, conversations, feedback, findings, documents, openai):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    docs.install(app)
    # Added innermost first: the guard runs inside CORS (so its refusals carry CORS headers for allowed origins),
    # and the security headers go on every response, refusals included.
    app.add_middleware(
        RequestGuardMiddleware,
        hosts=allowed_hosts(settings),
        origins=allowed_origins(settings),
        max_body_bytes=int(settings.max_json_kb * 1000),
        is_upload=lambda method, path: method == "POST" and path == documents.UPLOAD_PATH,
        respond=respond,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "Location"],
        )
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs.DOCS_PATHS)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return app
