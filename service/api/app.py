"""Where HTTP starts: `create_app(settings)` builds the FastAPI app; models and indexes load once in its lifespan.

Serve it with `uvicorn --factory service.api.app:create_app` (what `auditqa serve` does); tests build their own
app over a test home with `create_app(Settings(home=...))` and run it under `with TestClient(app)`.
"""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ingest.config import Settings, get_settings
from ingest.embedding import Embedder
from service.answering.qa import QAService
from service.api import errors
from service.api.middleware import RequestGuardMiddleware, SecurityHeadersMiddleware
from service.api.ratelimit import RateLimiter
from service.api.routes import ask, conversations, documents, feedback, findings, openai
from service.api.security import KeyRing, allowed_hosts, allowed_origins, log_mode
from service.chat.feedback import FeedbackStore
from service.chat.store import ConversationStore

log = logging.getLogger("auditqa")

STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_qa(settings: Settings, embedder: Embedder | None = None) -> QAService:
    """The question-answering service with its model and indexes loaded (the lifespan's and the CLI's)."""
    qa = QAService(settings, embedder or Embedder.from_settings(settings))
    qa.warm_up()
    return qa


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    log_mode(app.state.keys, settings)
    app.state.qa = build_qa(settings, app.state.embedder)
    app.state.conversations = ConversationStore.from_settings(settings)
    app.state.feedback = FeedbackStore(settings.feedback_path)
    view = app.state.qa.retriever.view
    log.info("auditqa ready: %d documents, %d chunks", view.document_count, len(view.records))
    try:
        yield
    finally:
        jobs = getattr(app.state, "jobs", None)
        if jobs is not None:
            del app.state.jobs
            jobs.close()


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The app over `settings` (default: the environment's); `embedder` lets tests share one loaded model.

    Raises KeyConfigError when the API keys configured cannot be read.
    """
    app = FastAPI(
        title="auditqa",
        description="Frågor och svar med exakta källhänvisningar ur kommunala revisionsrapporter.",
        version="0.1.0",
        lifespan=lifespan,
    )
    settings = app.state.settings = settings or get_settings()
    app.state.embedder = embedder
    app.state.keys = KeyRing.from_settings(settings)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    errors.install(app)
    for module in (ask, conversations, feedback, findings, documents, openai):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Added innermost first: the guard runs inside CORS (so its refusals carry CORS headers for allowed origins),
    # and the security headers go on every response, refusals included.
    app.add_middleware(
        RequestGuardMiddleware,
        hosts=allowed_hosts(settings),
        origins=allowed_origins(settings),
        max_body_bytes=int(settings.max_json_kb * 1000),
        is_upload=lambda method, path: method == "POST" and path == documents.UPLOAD_PATH,
        respond=errors.response_for,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "Location"],
        )
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=frozenset(p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p))

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return app
