"""The request dependencies of every route, defined once: settings, the loaded QA service, chat, the job runner."""

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from ingest.config import Settings
from service.admission import QueryGate
from service.answering.qa import QAService
from service.chat.service import ChatService
from service.jobs import JobRunner, clean_stale_staging
from service.query.retrieval import IndexNotReadyError


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_qa(request: Request) -> QAService:
    return request.app.state.qa


def get_ready_qa(qa: Annotated[QAService, Depends(get_qa)]) -> QAService:
    if not qa.ready:
        raise IndexNotReadyError("no index is built")
    return qa


def get_chat(request: Request, qa: Annotated[QAService, Depends(get_ready_qa)]) -> ChatService:
    return ChatService(qa, request.app.state.conversations)


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


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
QADep = Annotated[QAService, Depends(get_qa)]
ReadyQADep = Annotated[QAService, Depends(get_ready_qa)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
