"""The one table from domain exceptions to HTTP: status code and the Swedish message users read.

Routes and jobs raise domain exceptions only; `install` registers one handler per row, and
`describe` gives the same status and message for a job that failed in the background.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ingest.embedding import EmbeddingModelError
from ingest.index.vectors import StoreError
from service.answering.qa import DocumentNotFoundError
from service.api.middleware import BodyTooLargeError
from service.api.ratelimit import RateLimitedError
from service.api.security import CrossOriginError, ForbiddenScopeError, HostNotAllowedError, MissingKeyError, NotLocalError
from service.chat.feedback import FeedbackError
from service.chat.store import ConversationError, ConversationNotFoundError
from service.jobs import (
    DocumentExistsError,
    FileTooLargeError,
    JobCancelledError,
    JobNotFoundError,
    UnsupportedFileTypeError,
    UploadRejected,
)
from service.query.analysis import QuestionError
from service.query.retrieval import IndexNotReadyError, UnknownFilterError

log = logging.getLogger("auditqa")

NOT_BUILT = "Inget index är byggt ännu. Bygg det med `auditqa ingest` (eller `make run`)."
INTERNAL = "Ett internt fel inträffade; felet är loggat."


class OpenAIError(Exception):
    """A request the OpenAI schema rejects; rendered in OpenAI's shape, {"error": {...}}."""

    def __init__(self, status_code: int, message: str, param: str | None = None, code: str | None = None, type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status_code, self.message, self.param, self.code, self.type = status_code, message, param, code, type

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class ErrorRule:
    exception: type[Exception]
    status_code: int
    body: Callable[[Exception], dict]
    headers: Callable[[Exception], dict[str, str]] | None = None


def _detail(message: Callable[[Exception], str]) -> Callable[[Exception], dict]:
    return lambda exc: {"detail": message(exc)}


def _filter_body(exc: Exception) -> dict:
    assert isinstance(exc, UnknownFilterError)
    return {"detail": f"Okänt filter: {exc}.", "valid": {exc.field_name: exc.valid}}


def _validation_body(exc: Exception) -> dict:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        message = str(error.get("msg")).removeprefix("Value error, ")
        problems.append(f"{where or 'begäran'}: {message} (fick {error.get('input')!r})")
    return {"detail": "Ogiltig begäran: " + "; ".join(problems)}


def _retry_after(exc: Exception) -> dict[str, str]:
    assert isinstance(exc, RateLimitedError)
    return {"Retry-After": str(exc.retry_after_s)}


# First match wins: subclasses before their base class.
ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(
        MissingKeyError, 401, _detail(str), lambda e: {"WWW-Authenticate": 'Bearer realm="auditqa"'}
    ),
    ErrorRule(ForbiddenScopeError, 403, _detail(str)),
    ErrorRule(NotLocalError, 403, _detail(str)),
    ErrorRule(CrossOriginError, 403, _detail(str)),
    ErrorRule(HostNotAllowedError, 400, _detail(str)),
    ErrorRule(RateLimitedError, 429, _detail(str), _retry_after),
    ErrorRule(BodyTooLargeError, 413, _detail(str)),
    ErrorRule(DocumentExistsError, 409, _detail(str)),
    ErrorRule(QuestionError, 422, _detail(lambda e: f"Ogiltig fråga: {e}.")),
    ErrorRule(UnknownFilterError, 422, _filter_body),
    ErrorRule(RequestValidationError, 422, _validation_body),
    ErrorRule(IndexNotReadyError, 503, _detail(lambda e: NOT_BUILT)),
    ErrorRule(DocumentNotFoundError, 404, _detail(str)),
    ErrorRule(JobNotFoundError, 404, _detail(str)),
    ErrorRule(ConversationNotFoundError, 404, _detail(str)),
    ErrorRule(FileTooLargeError, 413, _detail(str)),
    ErrorRule(UnsupportedFileTypeError, 415, _detail(str)),
    ErrorRule(JobCancelledError, 503, _detail(str)),
    ErrorRule(UploadRejected, 422, _detail(str)),
    ErrorRule(StoreError, 503, _detail(lambda e: f"Vektorlagret är inte tillgängligt: {e}")),
    ErrorRule(EmbeddingModelError, 503, _detail(lambda e: f"Embeddingmodellen är inte tillgänglig: {e}")),
    ErrorRule(ConversationError, 503, _detail(lambda e: f"Samtalslagret är inte tillgängligt: {e}")),
    ErrorRule(FeedbackError, 503, _detail(lambda e: f"Återkopplingslagret är inte tillgängligt: {e}")),
)


def describe(exc: BaseException) -> tuple[int, dict]:
    """The status code and JSON body an exception answers with; anything unknown is a logged 500."""
    if isinstance(exc, OpenAIError):
        return exc.status_code, exc.body()
    for rule in ERRORS:
        if isinstance(exc, rule.exception):
            return rule.status_code, rule.body(exc)
    return 500, {"detail": INTERNAL}


def response_for(exc: Exception) -> JSONResponse:
    """The response to an exception: its status, its body and the headers its row names (WWW-Authenticate, Retry-After)."""
    status_code, body = describe(exc)
    if status_code == 500:
        log.error("unhandled error", exc_info=exc)
    rule = next((r for r in ERRORS if isinstance(exc, r.exception)), None)
    headers = rule.headers(exc) if rule is not None and rule.headers is not None else None
    return JSONResponse(status_code=status_code, content=body, headers=headers)


async def _handle(_: Request, exc: Exception) -> JSONResponse:
    return response_for(exc)


def install(app: FastAPI) -> None:
    for exception in (OpenAIError, *(rule.exception for rule in ERRORS), Exception):
        app.add_exception_handler(exception, _handle)
