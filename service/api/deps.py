"""The request dependencies of every route, defined once: the caller and its access, settings, the loaded QA service,
chat, the job runner."""

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest.config import Settings
from service.admission import QueryGate
from service.answering.qa import QAService
from service.api.security import ForbiddenScopeError, KeyRing, MissingKeyError, NotLocalError, Principal, Scope, is_ip_address, is_loopback
from service.chat.feedback import FeedbackStore
from service.chat.service import ChatService
from service.jobs import JobRunner, clean_stale_staging
from service.query.retrieval import IndexNotReadyError

_BEARER = HTTPBearer(auto_error=False, description="An API key from AUDITQA_API_KEYS, sent as `Authorization: Bearer <key>`.")


def get_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)]) -> Principal:
    """The caller, once per request; each API request takes a token from the caller's rate-limit bucket."""
    state = request.app.state
    keys: KeyRing = state.keys
    client = request.client.host if request.client else ""
    principal = keys.identify(credentials.credentials if credentials else None, client)
    state.rate_limiter.take(principal.bucket)
    if principal.owner is None:
        if credentials is None:
            raise MissingKeyError("En API-nyckel krävs: skicka den som 'Authorization: Bearer <nyckel>'.")
        raise MissingKeyError("API-nyckeln är ogiltig (nyckeln visas inte här); kontrollera den och försök igen.")
    # TestClient and a Unix socket give no IP address: those callers are on this machine.
    if not keys and not state.settings.allow_unauthenticated and is_ip_address(client) and not is_loopback(client):
        raise NotLocalError(
            f"Tjänsten har inga API-nycklar och svarar därför bara på anrop från den egna datorn (anropet kom från {client})."
        )
    return principal


def _require(scope: Scope):
    def require(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.can(scope):
            raise ForbiddenScopeError(f"API-nyckeln saknar behörigheten '{scope}' som det här anropet kräver.")
        return principal

    return require


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_qa(request: Request) -> QAService:
    qa = request.app.state.qa
    request.app.state.freshness.check(qa)
    return qa


def get_ready_qa(qa: Annotated[QAService, Depends(get_qa)]) -> QAService:
    if not qa.ready:
        raise IndexNotReadyError("no index is built")
    return qa


def get_visible_qa(qa: Annotated[QAService, Depends(get_qa)], principal: Annotated[Principal, Depends(get_principal)]) -> QAService:
    """The QA service as this caller may use it: only the documents its key may see exist for it."""
    return qa.visible_to(principal.access)


def get_ready_visible_qa(qa: Annotated[QAService, Depends(get_ready_qa)], principal: Annotated[Principal, Depends(get_principal)]) -> QAService:
    return qa.visible_to(principal.access)


def get_chat(
    request: Request, qa: Annotated[QAService, Depends(get_ready_visible_qa)], principal: Annotated[Principal, Depends(get_principal)]
) -> ChatService:
    assert principal.owner is not None
    return ChatService(qa, request.app.state.conversations, principal.owner)


def get_feedback(request: Request) -> FeedbackStore:
    return request.app.state.feedback


_START_LOCK = threading.Lock()


def get_jobs(request: Request) -> JobRunner:
    """The app's job runner, started on first use; its jobs reach the QAService the app holds when they run."""
    state = request.app.state
    jobs = getattr(state, "jobs", None)
    if jobs is None:
        with _START_LOCK:
            jobs = getattr(state, "jobs", None)
            if jobs is None:
                app = request.app
                settings = state.settings
                jobs = state.jobs = JobRunner(
                    lambda: app.state.qa, max_queued=settings.max_queued_jobs, timeout_s=settings.job_timeout_s
                )
                clean_stale_staging(state.settings.uploads_path)
    return jobs


def query_slot(request: Request) -> Iterator[None]:
    """Held while a search or an answer is computed (and streamed); see service.admission."""
    gate: QueryGate = request.app.state.query_gate
    with gate.admit():
        yield


# Route dependencies: `read` for what only reads, `admin` (which implies read) for what changes the index.
READ = Depends(_require(Scope.READ))
ADMIN = Depends(_require(Scope.ADMIN))

PrincipalDep = Annotated[Principal, Depends(get_principal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
QADep = Annotated[QAService, Depends(get_qa)]
ReadyQADep = Annotated[QAService, Depends(get_ready_qa)]
# What the caller's key may see (document-level access groups); every route that reads documents uses one of these.
VisibleQADep = Annotated[QAService, Depends(get_visible_qa)]
ReadyVisibleQADep = Annotated[QAService, Depends(get_ready_visible_qa)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
